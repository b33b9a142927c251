// Content Credentials (C2PA) of an image: whether a manifest store is embedded, what its active
// manifest claims (tool, signer, actions, ingredients, AI disclosure) and whether it validates.
//
// One parse of the JUMBF feeds two readers:
// - our own walk over the boxes and their CBOR, for what the manifests *say*. @trustnxt/c2pa-ts drops
//   fields we report (an action's `when`, the raw claim_generator) and throws on a whole store when one
//   part is beyond it (v2 time-stamps in CACA.jpg and C_with_CAWG_data.jpg, a missing `alg` in
//   no_alg.jpg), which would leave a fact-checker with nothing although the claim itself is readable;
// - the library, for validation: claim signature, hard binding, assertion hashes, ingredients.
//
// Bounds. Parsing is synchronous CPU work that cannot be interrupted, so it is bounded by size instead:
// inputs over `maxBytes` and manifest stores over `maxManifestBytes` are not parsed. Validation is
// asynchronous (WebCrypto digests and signatures) and raced against `timeoutMs`; one that loses the race
// runs on in the background and its result is dropped. Every string read from the file is cleaned and
// capped, every list capped. Nothing here throws: failures become `could_not_validate`.
import { X509Certificate } from 'node:crypto';
import { BMFF, JPEG, PNG, type Asset, type AssetType } from '@trustnxt/c2pa-ts/asset';
import { CBORBox, JSONBox, SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import type { ManifestStore, ValidationStatusEntry } from '@trustnxt/c2pa-ts/manifest';
import type {
  C2paAction,
  C2paAiEvidence,
  C2paIngredient,
  C2paManifest,
  C2paSigner,
  C2paStatusEntry,
  ContentCredentials,
} from '../../../schemas/c2pa.js';
import { copyBytes } from '../../bytes.js';
import { walkJpegHeader } from './metadata/jpeg.js';

export interface ContentCredentialsOptions {
  /** Larger inputs are not parsed at all (the default is above the fetcher's own limit). */
  maxBytes?: number;
  /** Larger manifest stores are not parsed; real ones are kilobytes, a few MB with many thumbnails. */
  maxManifestBytes?: number;
  /** Validation still running after this long is abandoned and reported as could_not_validate. */
  timeoutMs?: number;
}

const DEFAULTS: Required<ContentCredentialsOptions> = {
  maxBytes: 64 * 1024 * 1024,
  maxManifestBytes: 16 * 1024 * 1024,
  timeoutMs: 10_000,
};

// Caps on what a hostile file can put into a report.
const CAP = {
  text: 200,
  long: 300,
  code: 80,
  actions: 50,
  ingredients: 20,
  statusCodes: 100,
  labels: 50,
  evidence: 10,
  manifests: 100,
  list: 20,
  scanNodes: 5000,
};

type Container = NonNullable<ContentCredentials['container']>;
type Validation = ContentCredentials['validation'];

const READERS: { container: Container; reader: AssetType }[] = [
  { container: 'jpeg', reader: JPEG },
  { container: 'png', reader: PNG },
  { container: 'heif', reader: BMFF },
];
// MIME types whose bytes the readers above should accept: failing them is damage, not lack of support.
const READABLE_MIMES = new Set(['image/jpeg', 'image/png', 'image/heic', 'image/heif']);

// The JUMBF description box of a C2PA manifest store: box type `jumd`, then a UUID that starts `c2pa`.
// Searched for when a reader finds no store, to tell "none" from "there but unreadable".
const UUID_START = Buffer.from('c2pa', 'latin1');
const BOX_TYPE = Buffer.from('jumd', 'latin1').readUInt32BE(0);
const EOI = Buffer.from([0xff, 0xd9]);

/**
 * Whether `jumdc2pa` occurs anywhere in the file: `c2pa` searched for, then the four bytes before it
 * compared. Node's Buffer search takes 0.3 CPU ms for the four bytes over a 4 MB JPEG and 1.7 for the
 * eight at once (measured): this runs for every file without Content Credentials. A JPEG carries its
 * store in APP11 segments, which come before the image data: its header (the segments up to SOS) and
 * what follows its last EOI are searched, not the entropy-coded data between them (most of the file);
 * a JPEG whose header cannot be walked is searched whole.
 */
function hasStoreMarker(bytes: Buffer, mime: string): boolean {
  if (mime === 'image/jpeg') {
    const { imageData } = walkJpegHeader(bytes);
    if (imageData !== null) {
      const eoi = bytes.lastIndexOf(EOI);
      return markerIn(bytes.subarray(0, imageData)) || (eoi > imageData && markerIn(bytes.subarray(eoi)));
    }
  }
  return markerIn(bytes);
}

function markerIn(bytes: Buffer): boolean {
  for (let i = bytes.indexOf(UUID_START, 4); i !== -1; i = bytes.indexOf(UUID_START, i + 1))
    if (bytes.readUInt32BE(i - 4) === BOX_TYPE) return true;
  return false;
}

const HARD_BINDING = ['dataHash', 'bmffHash', 'boxesHash', 'collectionHash'];
const BINDING_MATCH = new Set(HARD_BINDING.map((b) => `assertion.${b}.match`));
const BINDING_MISMATCH = new Set(HARD_BINDING.map((b) => `assertion.${b}.mismatch`));

// IPTC digital source types that mean generative AI made all or part of the content. Deliberately not
// algorithmicMedia (made by an algorithm without training data) nor compositeSynthetic (may be CGI).
const AI_SOURCE_TYPES = new Set(['trainedalgorithmicmedia', 'compositewithtrainedalgorithmicmedia']);
const METADATA_LABELS = new Set([
  'c2pa.metadata',
  'cawg.metadata',
  'stds.metadata',
  'stds.iptc',
  'stds.iptc.photo-metadata',
]);

// C0/C1 controls, zero-width and bidirectional formatting characters, BOM, lone surrogates: what can
// hide or reorder text in a report (a CN that renders as "Reuters" but is not).
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A string from the file, made safe to show: null unless a non-empty string. */
function text(value: unknown, max = CAP.text): string | null {
  if (typeof value !== 'string') return null;
  let s = value.slice(0, max * 4); // bounds the work below on a megabyte-long string
  s = s.replace(INVISIBLE, ' ').replace(LONE_SURROGATE, '\ufffd').replace(/\s+/g, ' ').trim();
  if (s.length > max) s = s.slice(0, max - 1).replace(/[\ud800-\udbff]$/, '') + '…';
  return s === '' ? null : s;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

function records(value: unknown, max: number): Record<string, unknown>[] {
  return Array.isArray(value) ? value.slice(0, max).filter(isRecord) : [];
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return text(String(err), CAP.long) ?? 'unknown error';
  // The library's ValidationError carries a C2PA status code and often an empty message.
  const code = 'code' in err && typeof err.code === 'string' ? err.code : null;
  const message = [code, err.message].filter(Boolean).join(': ') || err.name;
  return text(message, CAP.long) ?? err.name;
}

function unique(values: (string | null)[], max: number): string[] {
  return [...new Set(values.filter((v): v is string => v !== null))].slice(0, max);
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

function baseMime(mime: string): string {
  return mime.split(';')[0]?.trim().toLowerCase() ?? '';
}

// ---------------------------------------------------------------------------------------------------
// Our walk over the JUMBF boxes

// The library copies each superbox's bytes before parsing its children, so parsing costs size × depth:
// 1.6 MB of boxes nested 50,000 deep kept it busy for 45 s. Real stores nest about six deep (store,
// manifest, assertion store, assertion, data boxes) and hold hundreds of boxes.
const MAX_JUMBF_DEPTH = 16;
const MAX_JUMBF_BOXES = 20_000;

/**
 * Why the JUMBF is too deep or too busy to hand to the parser, from its box headers alone; null if it
 * is not. Follows the headers the way the library does (32-bit lengths of at least 8, children read to
 * their own end) and stops where the library would throw anyway.
 */
function jumbfTooComplex(buf: Uint8Array): string | null {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const ends = [buf.length]; // end of each superbox being walked
  let pos = 0;
  let boxes = 0;
  while (ends.length > 0) {
    const end = ends[ends.length - 1] as number;
    if (pos + 8 > end) {
      ends.pop();
      pos = Math.max(pos, end);
      continue;
    }
    const size = view.getUint32(pos);
    if (size < 8 || pos + size > buf.length) return null;
    if (++boxes > MAX_JUMBF_BOXES) return `more than ${MAX_JUMBF_BOXES} JUMBF boxes`;
    if (view.getUint32(pos + 4) === 0x6a756d62 /* jumb */) {
      if (ends.length > MAX_JUMBF_DEPTH) return `JUMBF boxes nested more than ${MAX_JUMBF_DEPTH} deep`;
      ends.push(pos + size);
      pos += 8;
    } else {
      pos += size;
    }
  }
  return null;
}

interface RawAssertion {
  label: string;
  /** Label without the `__N` instance suffix. */
  base: string;
  content: unknown;
}

interface RawManifest {
  label: string;
  type: 'standard' | 'update';
  claimVersion: number | null;
  claim: Record<string, unknown>;
  assertions: RawAssertion[];
  signer: C2paSigner | null;
}

/** The four ASCII characters that open a JUMBF description UUID: c2ma, c2cl, c2as, c2cs, cbor, … */
function boxKind(box: SuperBox): string {
  const uuid = box.descriptionBox?.uuid;
  return uuid ? Buffer.from(uuid.subarray(0, 4)).toString('latin1') : '';
}

function childBoxes(box: SuperBox): SuperBox[] {
  return box.contentBoxes.filter((b): b is SuperBox => b instanceof SuperBox);
}

function boxContent(box: SuperBox): unknown {
  const first = box.contentBoxes[0];
  return first instanceof CBORBox || first instanceof JSONBox ? first.content : undefined;
}

function readManifests(store: SuperBox): { manifests: RawManifest[]; count: number } {
  const boxes = childBoxes(store).filter((b) => ['c2ma', 'c2um', 'c2cm'].includes(boxKind(b)));
  const manifests: RawManifest[] = [];
  for (const box of boxes.slice(0, CAP.manifests)) {
    const label = box.descriptionBox?.label;
    if (!label || boxKind(box) === 'c2cm') continue; // compressed manifests: the library cannot read them either
    manifests.push(readManifest(box, label));
  }
  return { manifests, count: boxes.length };
}

function readManifest(box: SuperBox, label: string): RawManifest {
  const manifest: RawManifest = {
    label,
    type: boxKind(box) === 'c2um' ? 'update' : 'standard',
    claimVersion: null,
    claim: {},
    assertions: [],
    signer: null,
  };
  for (const part of childBoxes(box)) {
    // Each part on its own: an unreadable signature must not hide a readable claim.
    try {
      const kind = boxKind(part);
      if (kind === 'c2cl') {
        const claim = boxContent(part);
        if (isRecord(claim)) manifest.claim = claim;
        manifest.claimVersion = part.descriptionBox?.label === 'c2pa.claim.v2' ? 2 : 1;
      } else if (kind === 'c2as') {
        for (const assertion of childBoxes(part)) {
          const name = assertion.descriptionBox?.label;
          if (!name) continue;
          manifest.assertions.push({
            label: name,
            base: name.replace(/__\d+$/, ''),
            content: boxContent(assertion),
          });
        }
      } else if (kind === 'c2cs') {
        manifest.signer = readSigner(boxContent(part));
      }
    } catch {
      // Left out; validation reports what is wrong with it.
    }
  }
  return manifest;
}

/** The signing certificate from a COSE_Sign1 structure: [protected bstr, unprotected map, payload, sig]. */
function readSigner(cose: unknown): C2paSigner | null {
  if (!Array.isArray(cose) || cose.length !== 4) return null;
  const [protectedBytes, unprotectedHeader] = cose as unknown[];
  const protectedHeader: unknown =
    protectedBytes instanceof Uint8Array ? CBORBox.decoder.decode(protectedBytes) : null;
  const header = (h: unknown, key: string) => (isRecord(h) ? h[key] : undefined);
  // x5chain is COSE header 33; older signers wrote it by name.
  const chain =
    header(protectedHeader, '33') ??
    header(protectedHeader, 'x5chain') ??
    header(unprotectedHeader, '33') ??
    header(unprotectedHeader, 'x5chain');
  const certs = Array.isArray(chain) ? (chain as unknown[]) : [chain];
  const first = certs[0];
  if (!(first instanceof Uint8Array)) return null;
  const cert = new X509Certificate(first);
  const subject = parseName(cert.subject);
  const issuer = parseName(cert.issuer);
  return {
    common_name: text(subject.get('CN')),
    organization: text(subject.get('O')),
    issuer_common_name: text(issuer.get('CN')),
    issuer_organization: text(issuer.get('O')),
    not_before: isoDate(cert.validFrom),
    not_after: isoDate(cert.validTo),
    chain_length: certs.length,
  };
}

/** Node prints a distinguished name one `KEY=value` per line, RFC 2253 specials backslash-escaped. */
function parseName(name: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of name.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    if (!out.has(key)) out.set(key, line.slice(eq + 1).replace(/\\([,+"\\<>;#= ])/g, '$1'));
  }
  return out;
}

function isoDate(value: unknown): string | null {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
}

// ---------------------------------------------------------------------------------------------------
// From raw manifests to the report

function claimGenerator(m: RawManifest): Pick<C2paManifest, 'claim_generator' | 'claim_generator_info'> {
  // v1 claims carry a user-agent string and optionally a list of {name, version}; v2 claims one map.
  const raw = m.claim.claim_generator_info;
  const info = (Array.isArray(raw) ? records(raw, CAP.list) : isRecord(raw) ? [raw] : []).flatMap((entry) => {
    const name = text(entry.name, 100);
    return name ? [{ name, version: text(entry.version, 50) }] : [];
  });
  const first = info[0];
  const fromInfo = first ? [first.name, first.version].filter(Boolean).join(' ') : null;
  return {
    claim_generator: text(m.claim.claim_generator) ?? fromInfo,
    claim_generator_info: info.slice(0, 5),
  };
}

function assertionsOf(m: RawManifest, ...bases: string[]): RawAssertion[] {
  return m.assertions.filter((a) => bases.includes(a.base));
}

function softwareAgent(value: unknown): string | null {
  // A string in actions v1, a generator-info map {name, version} in v2.
  if (isRecord(value))
    return text([value.name, value.version].filter((v) => typeof v === 'string').join(' '));
  return text(value);
}

function allActions(m: RawManifest): Record<string, unknown>[] {
  return assertionsOf(m, 'c2pa.actions', 'c2pa.actions.v2').flatMap((a) =>
    isRecord(a.content) ? records(a.content.actions, 1000) : [],
  );
}

function toAction(raw: Record<string, unknown>): C2paAction | null {
  const action = text(raw.action, CAP.code);
  if (!action) return null;
  const parameters = isRecord(raw.parameters) ? raw.parameters : {};
  return {
    action,
    software_agent: softwareAgent(raw.softwareAgent),
    when: text(raw.when, 64),
    digital_source_type: text(raw.digitalSourceType),
    description: text(raw.description ?? parameters.description, CAP.long),
  };
}

function isAiSourceType(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const v = value.trim().toLowerCase();
  if (v === 'c2pa.trainedalgorithmicdata') return true;
  const term = /digitalsourcetype\/([a-z]+)\/?$/.exec(v)?.[1];
  return term !== undefined && AI_SOURCE_TYPES.has(term);
}

/** First AI digital source type among the strings of a metadata assertion (JSON-LD), bounded walk. */
function findAiSourceType(value: unknown): string | null {
  const stack: unknown[] = [value];
  for (let seen = 0; stack.length > 0 && seen < CAP.scanNodes; seen++) {
    const node = stack.pop();
    if (isAiSourceType(node)) return node;
    if (Array.isArray(node)) stack.push(...(node as unknown[]).slice(0, 100));
    else if (isRecord(node)) stack.push(...Object.values(node).slice(0, 100));
  }
  return null;
}

function aiEvidence(m: RawManifest): C2paAiEvidence[] {
  const found: C2paAiEvidence[] = [];
  for (const raw of allActions(m)) {
    if (isAiSourceType(raw.digitalSourceType)) {
      const type = text(raw.digitalSourceType);
      if (type)
        found.push({
          manifest_label: text(m.label) ?? '',
          source: 'action',
          action: text(raw.action, CAP.code),
          digital_source_type: type,
        });
    }
  }
  for (const a of m.assertions.filter((x) => METADATA_LABELS.has(x.base))) {
    const type = text(findAiSourceType(a.content));
    if (type)
      found.push({
        manifest_label: text(m.label) ?? '',
        source: 'metadata',
        action: null,
        digital_source_type: type,
      });
  }
  return found;
}

function codesOf(value: unknown): (string | null)[] {
  return records(value, CAP.list).map((entry) => text(entry.code, CAP.code));
}

/** `self#jumbf=/c2pa/<label>[/c2pa.claim]` → `<label>` */
function manifestLabelOf(reference: unknown): string | null {
  const url = isRecord(reference) ? reference.url : undefined;
  if (typeof url !== 'string') return null;
  return /^self#jumbf=\/?c2pa\/([^/]+)/.exec(url)?.[1] ?? null;
}

function toIngredient(
  a: RawAssertion,
  byLabel: Map<string, RawManifest>,
  entries: ValidationStatusEntry[],
): C2paIngredient | null {
  const c = a.content;
  if (!isRecord(c)) return null;
  const label = manifestLabelOf(c.c2pa_manifest) ?? manifestLabelOf(c.activeManifest);
  const ref = label === null ? undefined : byLabel.get(label);
  // v1/v2 record a validationStatus list; v3 full validationResults, of which the failures matter here.
  const results = isRecord(c.validationResults) ? c.validationResults.activeManifest : undefined;
  const recorded = [
    ...codesOf(c.validationStatus),
    ...codesOf(isRecord(results) ? results.failure : undefined),
  ];
  const mine = entries.filter(
    (e) => typeof e.url === 'string' && e.url.endsWith(`c2pa.assertions/${a.label}`),
  );
  return {
    title: text(c['dc:title']),
    format: text(c['dc:format'], CAP.code),
    relationship: text(c.relationship, CAP.code),
    document_id: text(c.documentID),
    instance_id: text(c.instanceID),
    manifest_label: text(label),
    manifest: ref
      ? {
          label: text(ref.label) ?? '',
          claim_generator: claimGenerator(ref).claim_generator,
          title: text(ref.claim['dc:title']),
          signer_common_name: ref.signer?.common_name ?? null,
          signer_organization: ref.signer?.organization ?? null,
          ai_generated: aiEvidence(ref).length > 0,
        }
      : null,
    recorded_validation_codes: unique(recorded, CAP.list),
    validation_codes: unique(
      mine.map((e) => text(e.code, CAP.code)),
      CAP.list,
    ),
  };
}

function toManifest(
  m: RawManifest,
  byLabel: Map<string, RawManifest>,
  entries: ValidationStatusEntry[],
  signingTime: string | null,
): C2paManifest {
  const actions = allActions(m);
  const ingredients = assertionsOf(m, 'c2pa.ingredient', 'c2pa.ingredient.v2', 'c2pa.ingredient.v3');
  const trainingMining = assertionsOf(m, 'c2pa.training-mining', 'cawg.training-mining').flatMap((a) =>
    isRecord(a.content) && isRecord(a.content.entries) ? Object.entries(a.content.entries) : [],
  );
  return {
    label: text(m.label) ?? '',
    type: m.type,
    claim_version: m.claimVersion,
    ...claimGenerator(m),
    title: text(m.claim['dc:title']),
    format: text(m.claim['dc:format'], CAP.code),
    instance_id: text(m.claim.instanceID),
    signer: m.signer,
    signing_time: signingTime,
    actions: actions
      .slice(0, CAP.actions)
      .map(toAction)
      .filter((x) => x !== null),
    actions_truncated: actions.length > CAP.actions,
    ingredients: ingredients
      .slice(0, CAP.ingredients)
      .map((a) => toIngredient(a, byLabel, entries))
      .filter((x) => x !== null),
    ingredients_truncated: ingredients.length > CAP.ingredients,
    training_mining: trainingMining.slice(0, CAP.list).flatMap(([key, value]) => {
      const purpose = text(key, CAP.code);
      return purpose ? [{ purpose, choice: text(isRecord(value) ? value.use : undefined, CAP.code) }] : [];
    }),
    assertion_labels: unique(
      m.assertions.map((a) => text(a.label, CAP.code)),
      CAP.labels,
    ),
  };
}

// ---------------------------------------------------------------------------------------------------
// Validation by the library

interface LibraryOutcome {
  entries: ValidationStatusEntry[];
  /** Set when the library threw or timed out before producing a result. */
  error: string | null;
  store: ManifestStore | null;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`validation took longer than ${ms} ms`)), Math.max(0, ms));
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The library's manifest half (its X.509, ASN.1 and CMS code: pkijs and @peculiar/x509) is loaded by the
 * first file that holds a manifest store, not with this module: it is ~290 of the ~400 CPU ms an analysis
 * thread spends loading its modules (measured per thread, December 2026), and most files have no
 * Content Credentials. The asset readers and JUMBF parser, which tell whether a file has any, cost ~30.
 */
let manifestModule: Promise<typeof import('@trustnxt/c2pa-ts/manifest')> | null = null;
const loadManifestModule = () => (manifestModule ??= import('@trustnxt/c2pa-ts/manifest'));

async function validateWithLibrary(asset: Asset, box: SuperBox, timeoutMs: number): Promise<LibraryOutcome> {
  const { ManifestStore, ValidationResult } = await loadManifestModule();
  const deadline = performance.now() + timeoutMs;
  let store: ManifestStore;
  let entries: ValidationStatusEntry[];
  try {
    store = ManifestStore.read(box);
    entries = [...(await withTimeout(store.validate(asset), timeoutMs)).statusEntries];
  } catch (err) {
    const fromError = err instanceof Error ? ValidationResult.fromError(err).statusEntries : [];
    return { entries: fromError, error: `reader error: ${errorText(err)}`, store: null };
  }
  // The library stops before the hard binding once anything else failed (a broken signature, a missing
  // action ingredient), yet whether the bytes are still those that were signed matters on its own to a
  // fact-checker. Only the active manifest's own binding: an update manifest has none, and the one of
  // the manifest it updates was computed around a smaller store.
  if (!entries.some((e) => BINDING_MATCH.has(e.code) || BINDING_MISMATCH.has(e.code))) {
    try {
      for (const binding of store.getActiveManifest()?.assertions?.getHardBindings() ?? []) {
        entries.push(
          ...(await withTimeout(binding.validateAgainstAsset(asset), deadline - performance.now()))
            .statusEntries,
        );
      }
    } catch {
      // Leaves content_hash at not_checked; the verdict above stands.
    }
  }
  return { entries, error: null, store };
}

function signingTimeOf(store: ManifestStore | null, label: string): string | null {
  try {
    // RFC 3161 time-stamp token in the signature: validated by the library when it could, raw otherwise.
    return isoDate(store?.getManifestByLabel(label)?.signature?.signatureData.timestamp);
  } catch {
    return null;
  }
}

function toStatusEntry(e: ValidationStatusEntry): C2paStatusEntry {
  return {
    code: text(e.code, CAP.code) ?? 'unknown',
    success: e.success !== false,
    url: text(e.url, CAP.long),
    explanation: text(e.explanation, CAP.long),
  };
}

function judge(outcome: LibraryOutcome, started: number): Validation {
  const codes = new Set<string>(outcome.entries.map((e) => e.code));
  const failures = outcome.entries.filter((e) => e.success === false);
  const signature = codes.has('claimSignature.mismatch')
    ? 'mismatch'
    : codes.has('claimSignature.validated')
      ? 'verified'
      : 'not_checked';
  const mismatch = [...codes].some((c) => BINDING_MISMATCH.has(c));
  const contentHash = mismatch
    ? 'mismatch'
    : [...codes].some((c) => BINDING_MATCH.has(c))
      ? 'match'
      : 'not_checked';
  const failureSummary = failures
    .map((e) => (e.explanation ? `${e.code} (${e.explanation})` : e.code))
    .join('; ');

  let status: Validation['status'];
  let reason: string | null = null;
  if (outcome.error !== null) {
    status = 'could_not_validate';
    reason = outcome.error;
  } else if (signature === 'mismatch') {
    status = 'signature_mismatch';
  } else if (contentHash === 'mismatch') {
    status = 'data_hash_mismatch';
  } else if (failures.length > 0) {
    status = 'invalid';
  } else if (signature !== 'verified') {
    // No failure but no signature result either: not something to call valid.
    status = 'could_not_validate';
    reason = 'the validator reported no result for the claim signature';
  } else {
    status = 'valid';
  }
  if (status !== 'valid' && status !== 'could_not_validate') reason = text(failureSummary, CAP.long);
  return {
    status,
    reason,
    signature,
    content_hash: contentHash,
    // When the reader gave up, its one status code names where it stopped, not a verdict on the file.
    failure_codes:
      status === 'could_not_validate'
        ? []
        : unique(
            failures.map((e) => text(e.code, CAP.code)),
            CAP.list,
          ),
    status_codes: outcome.entries.slice(0, CAP.statusCodes).map(toStatusEntry),
    duration_ms: elapsed(started),
  };
}

// ---------------------------------------------------------------------------------------------------
// Entry point

const NO_TRUST_LIST =
  'No C2PA trust list is configured: the signing certificate was not checked against one.';

/** A result with no manifest read: `why` says what stopped us, and words the note. */
function unread(
  present: boolean | null,
  container: Container | null,
  status: 'could_not_validate' | 'not_checked',
  why: string,
  started: number,
): ContentCredentials {
  const note =
    present === false
      ? `No Content Credentials (C2PA) in this ${container ?? ''} file.`
      : status === 'not_checked'
        ? `${present ? 'A C2PA manifest store is embedded but was' : 'Content Credentials'} not checked: ${why}.`
        : `${present ? 'Content Credentials found but' : 'Content Credentials'} could not be read: ${why}.`;
  return {
    present,
    container,
    note: text(note, CAP.long) ?? '',
    manifest_count: 0,
    active_manifest: null,
    ai_generated: null,
    ai_evidence: [],
    validation: {
      status,
      reason: text(why, CAP.long),
      signature: 'not_checked',
      content_hash: 'not_checked',
      failure_codes: [],
      status_codes: [],
      duration_ms: elapsed(started),
    },
    trust: { status: 'unknown', reason: present ? NO_TRUST_LIST : 'No credentials read.' },
  };
}

const STATUS_PHRASE: Record<Validation['status'], string> = {
  valid: 'valid',
  signature_mismatch: 'the signature does not verify',
  data_hash_mismatch: 'the file changed after signing (pixels or metadata)',
  invalid: 'invalid',
  could_not_validate: 'could not be validated',
  not_checked: 'not checked',
};

/**
 * Reads and validates the Content Credentials embedded in an image. Never throws.
 * `mime` is the type sniffed from the bytes; it only words the answer for formats the reader cannot open.
 */
export async function readContentCredentials(
  bytes: Buffer,
  mime: string,
  options: ContentCredentialsOptions = {},
): Promise<ContentCredentials> {
  const started = performance.now();
  try {
    return await inspect(bytes, baseMime(mime), { ...DEFAULTS, ...options }, started);
  } catch (err) {
    // inspect() catches the library's failures itself; this is for our own mistakes.
    return unread(null, null, 'could_not_validate', `internal error: ${errorText(err)}`, started);
  }
}

async function inspect(
  bytes: Buffer,
  mime: string,
  limits: Required<ContentCredentialsOptions>,
  started: number,
): Promise<ContentCredentials> {
  if (bytes.length > limits.maxBytes) {
    return unread(null, null, 'not_checked', `file larger than ${limits.maxBytes} bytes`, started);
  }
  // A scan of the whole file, so only on the paths that need it.
  const marked = () => (hasStoreMarker(bytes, mime) ? true : null);
  const found = READERS.find((r) => r.reader.canRead(bytes));
  if (!found) {
    return READABLE_MIMES.has(mime)
      ? unread(marked(), null, 'could_not_validate', `the bytes are not a readable ${mime} file`, started)
      : unread(
          marked(),
          null,
          'not_checked',
          `format not supported by the C2PA reader (${mime || 'unknown'})`,
          started,
        );
  }
  const { container, reader } = found;

  // The library reads through `.buffer` in places: give it a view that starts at offset 0.
  const data =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : copyBytes(bytes);
  let asset: Asset;
  let jumbf: Uint8Array | undefined;
  try {
    asset = new reader(data);
    jumbf = asset.getManifestJUMBF();
  } catch (err) {
    return unread(
      marked(),
      container,
      'could_not_validate',
      `unreadable ${container}: ${errorText(err)}`,
      started,
    );
  }
  if (!jumbf) {
    return marked()
      ? unread(true, container, 'could_not_validate', 'the manifest store is damaged or truncated', started)
      : unread(false, container, 'not_checked', 'no manifest store', started);
  }
  if (jumbf.length > limits.maxManifestBytes) {
    const why = `manifest store larger than ${limits.maxManifestBytes} bytes`;
    return unread(true, container, 'could_not_validate', why, started);
  }
  const tooComplex = jumbfTooComplex(jumbf);
  if (tooComplex) return unread(true, container, 'could_not_validate', tooComplex, started);
  let box: SuperBox;
  try {
    box = SuperBox.fromBuffer(new Uint8Array(jumbf));
  } catch (err) {
    return unread(
      true,
      container,
      'could_not_validate',
      `unreadable manifest store: ${errorText(err)}`,
      started,
    );
  }

  const { manifests, count } = readManifests(box);
  const outcome = await validateWithLibrary(asset, box, limits.timeoutMs);
  const validation = judge(outcome, started);
  const byLabel = new Map(manifests.map((m) => [m.label, m]));
  const active = manifests.at(-1); // the spec's active manifest is the last one in the store
  const activeManifest = active
    ? toManifest(active, byLabel, outcome.entries, signingTimeOf(outcome.store, active.label))
    : null;
  const evidence = manifests.flatMap(aiEvidence);

  const by = activeManifest?.claim_generator ?? 'an unnamed tool';
  const signer =
    activeManifest?.signer?.common_name ??
    activeManifest?.signer?.organization ??
    'an unreadable certificate';
  const detail = validation.reason ? `: ${validation.reason}` : '';
  return {
    present: true,
    container,
    note:
      text(
        `Content Credentials written by ${by}, signed by ${signer} (not checked against a trust list); ` +
          `${STATUS_PHRASE[validation.status]}${detail}.`,
        CAP.long,
      ) ?? '',
    manifest_count: count,
    active_manifest: activeManifest,
    ai_generated: manifests.length > 0 ? evidence.length > 0 : null,
    ai_evidence: evidence.slice(0, CAP.evidence),
    validation: { ...validation, duration_ms: elapsed(started) },
    trust: { status: 'unknown', reason: NO_TRUST_LIST },
  };
}
