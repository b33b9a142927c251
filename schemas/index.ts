// The single source of the API's types: route schemas, TypeScript types (Static<>) and openapi.yaml
// all come from these. Every schema with an $id is registered once with Fastify (see src/app.ts),
// so it appears as a named component in the OpenAPI document.
import { ErrorResponse } from './errors.js';
import { Check, CheckAccepted, CheckRequest, CheckStatus } from './check.js';
import { MediaItem, MediaItemError, Report } from './report.js';
import { ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyList } from './api-keys.js';
import {
  Webhook,
  WebhookCreate,
  WebhookDeliveries,
  WebhookDelivery,
  WebhookList,
  WebhookWithSecret,
} from './webhooks.js';

export * from './errors.js';
export * from './check.js';
export * from './report.js';
export * from './api-keys.js';
export * from './webhooks.js';

export const namedSchemas = [
  ErrorResponse,
  CheckStatus,
  CheckRequest,
  CheckAccepted,
  Check,
  MediaItemError,
  MediaItem,
  Report,
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
];
