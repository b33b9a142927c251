// The single source of the API's types: route schemas, TypeScript types (Static<>) and openapi.yaml
// all come from these. Every schema in `namedSchemas` is registered once with Fastify
// (src/plugins/swagger.ts), so it appears as a named component in the OpenAPI document. Params,
// querystring and header schemas have an $id too but are used in place, not registered: OpenAPI lists
// them as parameters, never as components.
import { ErrorResponse } from './errors.js';
import { ArchiveSummary, ArchiveTimestamp } from './archive.js';
import { BestCopy, CopyFacts } from './best-copy.js';
import { Check, CheckAccepted, CheckRequest, CheckStatus } from './check.js';
import { Watch } from './watch.js';
import {
  MediaItem,
  MediaItemError,
  Report,
  ReverseSearchLink,
  TargetResult,
  ThumbnailComparison,
  WebSearchOutcome,
} from './report.js';
import { Post } from './post.js';
import { FactCheck, PublishedReview } from './fact-checks.js';
import { FactCheckAccepted, FactCheckImportResult, FactCheckRequest } from './fact-check-submission.js';
import { MediaReview, MediaReviewDraft } from './media-review.js';
import {
  Bank,
  BankCreate,
  BankEntry,
  BankEntryCreate,
  BankList,
  ImportResult,
  LookupRequest,
  LookupResult,
} from './banks.js';
import { Health, Ready } from './health.js';
import { Match, Provenance, Signal, TimelineEvent } from './provenance.js';
import { DecodeInfo, Hashes } from './hashes.js';
import { Metadata } from './metadata.js';
import { ContentCredentials } from './c2pa.js';
import { Jpeg, JpegDoubleCompression } from './jpeg.js';
import { Video, VpdqImportResult } from './video.js';
import { ScreenshotOf } from './screenshot.js';
import { TextInImage } from './text.js';
import { ForensicViews, ViewsRequested } from './views.js';
import { ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyList } from './api-keys.js';
import {
  Webhook,
  WebhookCreate,
  WebhookDeliveries,
  WebhookDelivery,
  RedeliveryQueued,
  WebhookList,
  WebhookWithSecret,
} from './webhooks.js';

export * from './errors.js';
export * from './archive.js';
export * from './best-copy.js';
export * from './check.js';
export * from './report.js';
export * from './hashes.js';
export * from './metadata.js';
export * from './c2pa.js';
export * from './jpeg.js';
export * from './post.js';
export * from './fact-checks.js';
export * from './fact-check-submission.js';
export * from './provenance.js';
export * from './banks.js';
export * from './api-keys.js';
export * from './webhooks.js';
export * from './video.js';
export * from './text.js';
export * from './views.js';
export * from './watch.js';
export * from './health.js';
export * from './media.js';
export * from './media-review.js';

export const namedSchemas = [
  ErrorResponse,
  Health,
  Ready,
  CheckStatus,
  CheckRequest,
  CheckAccepted,
  Watch,
  Check,
  MediaItemError,
  ArchiveTimestamp,
  ArchiveSummary,
  Hashes,
  DecodeInfo,
  Metadata,
  ThumbnailComparison,
  ReverseSearchLink,
  WebSearchOutcome,
  ContentCredentials,
  JpegDoubleCompression,
  Jpeg,
  CopyFacts,
  BestCopy,
  Video,
  VpdqImportResult,
  PublishedReview,
  TextInImage,
  ForensicViews,
  ViewsRequested,
  ScreenshotOf,
  Post,
  FactCheck,
  FactCheckRequest,
  FactCheckAccepted,
  FactCheckImportResult,
  Match,
  TimelineEvent,
  Signal,
  Provenance,
  TargetResult,
  BankCreate,
  Bank,
  BankList,
  BankEntryCreate,
  BankEntry,
  ImportResult,
  LookupRequest,
  LookupResult,
  MediaItem,
  Report,
  MediaReview,
  MediaReviewDraft,
  ApiKeyCreate,
  ApiKey,
  ApiKeyCreated,
  ApiKeyList,
  WebhookCreate,
  Webhook,
  WebhookWithSecret,
  WebhookList,
  WebhookDelivery,
  WebhookDeliveries,
  RedeliveryQueued,
];
