// Every resolution a test sees must fit the published schemas.
import type { Test } from 'tap';
import { Value } from 'typebox/value';
import { FactCheck, PublishedReview } from '../../../schemas/fact-checks.js';
import { Post, WebPage } from '../../../schemas/post.js';
import type { Resolution } from '../../../src/pipeline/resolve/index.js';

// ref(Post) is `{$ref: 'Post#'}`; TypeBox resolves it from a context keyed the same way.
const CONTEXT = { 'Post#': Post, 'PublishedReview#': PublishedReview, 'FactCheck#': FactCheck };

export function checkResolution(t: Test, r: Resolution): void {
  if (r.kind === 'post') {
    const errors = [...Value.Errors(CONTEXT, Post, r.post)].slice(0, 5);
    t.same(errors, [], 'the post fits the Post schema');
  } else if (r.kind === 'page') {
    const errors = [...Value.Errors(CONTEXT, WebPage, r.page)].slice(0, 5);
    t.same(errors, [], 'the page fits the WebPage schema');
  }
}

export function expectPost(t: Test, r: Resolution) {
  checkResolution(t, r);
  if (r.kind !== 'post') throw new Error(`expected a post, got ${JSON.stringify(r).slice(0, 500)}`);
  return r.post;
}

export function expectError(t: Test, r: Resolution, code: string) {
  checkResolution(t, r);
  if (r.kind !== 'error') throw new Error(`expected error ${code}, got ${JSON.stringify(r).slice(0, 500)}`);
  t.equal(r.code, code, r.message);
  return r;
}
