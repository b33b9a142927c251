// A screenshot of a post traced back to the post (src/pipeline/screenshot/): what the screenshot shows,
// the post it shows, and whether its words are the post's.
import { Type, type Static } from 'typebox';
import { Platform } from './post.js';

const nullable = (description: string) => Type.Union([Type.String(), Type.Null()], { description });

export const ScreenshotOf = Type.Object(
  {
    platform: Platform,
    url: Type.String({ description: 'The post’s URL.' }),
    post_id: Type.String({ description: 'The post’s id on its platform.' }),
    author: Type.Object(
      {
        handle: Type.String({ description: 'Without `@`.' }),
        display_name: nullable('Name shown on the profile, as the platform gave it.'),
      },
      { additionalProperties: false },
    ),
    posted_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'When the post was posted, as the platform says (UTC).',
    }),
    source: Type.Optional(
      Type.Union([Type.Literal('seen'), Type.Literal('platform')], {
        description:
          'Where the post was found: `seen`, a post firstseen resolved before; `platform`, among the author’s recent posts on the platform, looked up when this check ran because no post seen was the one shown (Bluesky: SCREENSHOT_AUTHOR_FEED_PAGES). Absent in reports made before platform lookups existed: `seen`.',
      }),
    ),
    timestamp: Type.Optional(
      Type.Number({
        minimum: 0,
        description:
          'A video’s: seconds into the video of the keyframe that shows the screenshot (the first traced of those OCR read).',
      }),
    ),
    text_matches: Type.Boolean({
      description:
        'The screenshot shows the post’s words: every difference is OCR misreading (README, Screenshots of posts, says how it is told from an edit).',
    }),
    differences: Type.Array(
      Type.Object(
        {
          screenshot: Type.String({ description: 'The screenshot’s words (empty: post words left out).' }),
          post: Type.String({ description: 'The post’s words (empty: words the screenshot adds).' }),
        },
        { additionalProperties: false },
      ),
      {
        maxItems: 20,
        description:
          'Words the screenshot changed, in reading order (normalized: lower case, no punctuation).',
      },
    ),
    words: Type.Object(
      {
        post: Type.Integer({ minimum: 0, description: 'Words of the post (links left out).' }),
        matched: Type.Integer({
          minimum: 0,
          description: 'Post words the screenshot shows, OCR noise forgiven.',
        }),
        cut_off: Type.Integer({
          minimum: 0,
          description: 'Post words at its end the screenshot does not show (cut off, “Show more”).',
        }),
      },
      { additionalProperties: false },
    ),
    read: Type.Object(
      {
        handle: Type.String({ description: 'The @handle as read, without `@`.' }),
        display_name: nullable('The name above or beside the handle, as read.'),
        time: nullable(
          'Time of day shown, as written (e.g. `8:03`), or the post’s age when that is all a timeline shows (`3h`, `12m`).',
        ),
        date: nullable('Date shown, as written (e.g. `3 Mar 2024`).'),
        text: Type.String({ description: 'The post’s text as read from the screenshot.' }),
      },
      { additionalProperties: false, description: 'What the screenshot shows, read by OCR.' },
    ),
    date_agrees: Type.Union([Type.Boolean(), Type.Null()], {
      description:
        'The date shown is the post’s date (a day either way for time zones); null when no full date is shown or the post has no time.',
    }),
  },
  {
    $id: 'ScreenshotOf',
    additionalProperties: false,
    description:
      'The post this image is a screenshot of: a post by the author whose @handle the screenshot shows, whose words the screenshot’s words are, OCR noise and edits aside; one firstseen has resolved before (visible to this organization), or else one of the author’s recent posts on the platform (`source`).',
  },
);
export type ScreenshotOf = Static<typeof ScreenshotOf>;
