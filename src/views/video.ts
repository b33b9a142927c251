// A video's facts on the report page: its container metadata, how it was hashed, and its keyframes
// (thumbnails kept by firstseen, at their time in the video). Everything shown came from the file, so it
// goes through markup`` like the rest.
import type { Video } from '../../schemas/video.js';
import { formatTime } from './format.js';
import { externalLink, markup, type Html, type SafeHtml } from './html.js';
import { thumbnailFigure, type ThumbnailContext } from './thumbnail.js';

type Row = [string, Html | null | undefined];

function rows(list: Row[]): SafeHtml[] {
  return list
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([label, value]) => markup`<tr><th scope="row">${label}</th><td>${value}</td></tr>`);
}

const seconds = (s: number) => `${s.toFixed(s < 10 ? 2 : 1)} s`;

/** Thumbnail ids of a video's keyframes, for the page's thumbnail look-up. */
export function keyframeThumbnails(video: Video | undefined): string[] {
  return (video?.keyframes ?? []).map((k) => k.thumbnail).filter((id): id is string => !!id);
}

export function videoSection(video: Video, ctx: ThumbnailContext): SafeHtml {
  const m = video.metadata;
  const size = m.width && m.height ? `${m.width} × ${m.height}` : null;
  const shown =
    m.display_width && m.display_height && m.rotation
      ? `, shown ${m.display_width} × ${m.display_height}`
      : '';
  const body = rows([
    ['Duration', m.duration_s !== null ? seconds(m.duration_s) : null],
    ['Container', m.container],
    ['Codecs', [m.video_codec, m.audio_codec].filter(Boolean).join(' + ') || null],
    ['Size', size ? `${size}${shown}` : null],
    ['Frame rate', m.frame_rate !== null ? `${m.frame_rate} fps` : null],
    ['Rotation', m.rotation ? `${m.rotation}° clockwise` : null],
    [
      'Created',
      m.creation_time
        ? markup`${formatTime(m.creation_time)} <span class="muted">(${m.creation_time_source ?? ''})</span>`
        : null,
    ],
    ['Device', [m.make, m.model].filter(Boolean).join(' ') || null],
    ['Software', m.software],
    ['Encoder', m.encoder],
    [
      'Location',
      m.location
        ? markup`${m.location.latitude.toFixed(5)}, ${m.location.longitude.toFixed(5)} ${externalLink(m.location.map_url, 'map')}`
        : null,
    ],
    [
      'Frames hashed',
      `${video.frames_hashed} (${video.decoder.sampling}, at ${video.decoder.hashed_width} × ${video.decoder.hashed_height}${video.decoder.truncated ? '; only the start: the video is longer than the caps' : ''})`,
    ],
    [
      'Bars or border',
      video.content_region
        ? `${video.content_region.kind}: picture at ${video.content_region.x},${video.content_region.y}, ${video.content_region.width} × ${video.content_region.height}`
        : null,
    ],
    ['Decoder', `ffmpeg ${video.decoder.ffmpeg ?? '?'}, ffprobe ${video.decoder.ffprobe ?? '?'}`],
  ]);
  const status = m.metadata_status === 'present' ? 'info' : 'medium';
  const keyframes = video.keyframes.map(
    (k) =>
      markup`<li>${thumbnailFigure(k.thumbnail, `Keyframe at ${seconds(k.timestamp)}`, `${seconds(k.timestamp)} · frame ${k.frame}`, ctx)}</li>`,
  );
  return markup`<p><span class="badge ${status}">${m.metadata_status}</span> ${m.metadata_note ?? ''}</p>
<table>
<caption class="vh">Video facts</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Value</th></tr></thead>
<tbody>${body}</tbody>
</table>
${keyframes.length ? markup`<h4>Keyframes</h4>\n<ul class="keyframes">${keyframes}</ul>` : ''}
<p class="muted">vPDQ: ${video.vpdq.length} lines (frame, quality, PDQ, time) in the JSON report, in the format other vPDQ tools read.</p>`;
}
