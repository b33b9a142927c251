// Content Credentials (C2PA): what the embedded manifest claims, and whether the claim survived
// validation. A valid signature proves the file is unchanged since signing, not who signed it: the
// signer's name is shown as the certificate states it, next to the trust status.
import type { C2paAction, ContentCredentials } from '../../schemas/c2pa.js';
import { formatTime } from './format.js';
import { markup, type Html, type SafeHtml } from './html.js';

const VALIDATION: Record<string, { cls: string; word: string; says: string }> = {
  valid: { cls: 'ok', word: 'Valid', says: 'The signature and the content hash verify.' },
  signature_mismatch: {
    cls: 'high',
    word: 'Invalid',
    says: 'The claim signature does not verify: the manifest was altered or forged.',
  },
  data_hash_mismatch: {
    cls: 'high',
    word: 'Invalid',
    says: 'The pixels (or other signed bytes) changed after signing.',
  },
  invalid: { cls: 'high', word: 'Invalid', says: 'The validator raised failures.' },
  could_not_validate: { cls: 'medium', word: 'Unchecked', says: 'The credentials could not be read.' },
  not_checked: { cls: 'info', word: 'Not checked', says: 'Nothing to validate.' },
};

function actionsTable(actions: readonly C2paAction[], truncated: boolean): Html {
  if (!actions.length) return null;
  const body = actions.map(
    (a) =>
      markup`<tr><td><code>${a.action}</code></td><td>${a.software_agent ?? '—'}</td><td>${a.when ? formatTime(a.when) : '—'}</td><td>${a.digital_source_type ? markup`<span class="url">${a.digital_source_type}</span>` : '—'}</td><td>${a.description ?? ''}</td></tr>`,
  );
  return markup`<table>
<caption>Actions declared${truncated ? ' (the first ones)' : ''}</caption>
<thead><tr><th scope="col">Action</th><th scope="col">Software</th><th scope="col">When</th><th scope="col">Source type</th><th scope="col">Description</th></tr></thead>
<tbody>${body}</tbody>
</table>`;
}

function row(label: string, value: Html): Html {
  return value === null || value === undefined || value === ''
    ? null
    : markup`<tr><th scope="row">${label}</th><td>${value}</td></tr>`;
}

export function credentialsSection(cc: ContentCredentials | undefined): SafeHtml {
  if (!cc) return markup`<p class="muted">Content Credentials were not read.</p>`;
  if (!cc.present) return markup`<p>${cc.note}</p>`;
  const v = cc.validation;
  const status = VALIDATION[v.status] ?? { cls: 'medium', word: v.status, says: '' };
  const m = cc.active_manifest;
  const signer = m?.signer;
  const names = (...parts: Array<string | null>) => parts.filter(Boolean).join(', ');
  const ai =
    cc.ai_generated === null ? null : cc.ai_generated ? markup`<span class="badge high">Yes</span>` : 'No';
  const ingredients = m?.ingredients.length
    ? m.ingredients.map((i) => `${i.title ?? 'untitled'} (${i.relationship ?? 'ingredient'})`).join('; ')
    : null;
  const rows = [
    row('Signature', v.signature),
    row('Content hash', v.content_hash),
    row('Failures', v.failure_codes.length ? markup`<code>${v.failure_codes.join(', ')}</code>` : null),
    row(
      'Signer (as the certificate states)',
      signer ? names(signer.common_name, signer.organization) || 'no name in the certificate' : null,
    ),
    row('Certificate issuer', signer ? names(signer.issuer_common_name, signer.issuer_organization) : null),
    row('Trust', `${cc.trust.status}: ${cc.trust.reason}`),
    row('Claim generator', m?.claim_generator ?? null),
    row('Signed at', m?.signing_time ? formatTime(m.signing_time) : null),
    row('Title', m?.title ?? null),
    row('Generative AI declared', ai),
    row('Ingredients', ingredients),
    row('Manifests in the store', String(cc.manifest_count)),
  ];
  const reason = v.reason ? markup` <span class="muted">(${v.reason})</span>` : '';
  return markup`<p><span class="badge ${status.cls}">${status.word}</span> ${status.says}${reason}</p>
<p>${cc.note}</p>
<table>
<caption class="vh">Content Credentials</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Value in the manifest</th></tr></thead>
<tbody>${rows}</tbody>
</table>
${m ? actionsTable(m.actions, m.actions_truncated) : ''}`;
}
