// A debunked or watchlist bank entry added after the fact reaches the checks that already saw its picture
// (issue 18 item 3), as a fact-check added later does (src/services/fact-checks.ts):
//  - the images seen before that match the entry's picture are found in the memory's indexes: the same
//    picture (PDQ, or pHash when the PDQ is too weak), the picture inside an image seen (its content
//    region: a framed copy or a screenshot of it), and, for an entry given as an image, part of the same
//    picture (`partial`: a crop of it seen before, or the whole of which it is a crop), by local features
//    as a check finds them;
//  - a `debunked` entry is a verdict on the picture: their media records gain it as a fact-check
//    (`fact-checks-of`, so checks matching them later meet it too) and each organization that checked
//    one of them, and may see the bank, gets `fact_check.found`;
//  - a `watchlist` entry is no verdict, only "tell me when this picture shows up": the organizations
//    get `match.found`, the event watchlists already send when a check meets one, marked
//    `found_when: "entry_added"` (their later checks meet the entry through the index, as always).
// Each event names only the receiving organization's own checks; another organization's upload is
// never named to anyone else (sightings are read per organization).
//
// The rows of a CSV import are announced the same way, per request (one chunk of a big list): their
// hashes are looked up a few dozen per turn of the event loop, the sightings of every image found are
// read in one batch, and each organization hears once per image it checked (naming the import's entry
// that matches it best), however many rows of the chunk match that image.
import { setImmediate } from 'node:timers/promises';
import type { WebhookJob } from '../../schemas/webhook-jobs.js';
import type { Queue } from 'bullmq';
import type { Config } from '../config.js';
import { bankVisibleTo, type BankEntry, type StoredBank } from '../memory/banks.js';
import type { FactCheckStore } from '../memory/fact-checks.js';
import type { FeatureIndex } from '../memory/feature-index.js';
import type { HashIndex } from '../memory/hash-index/hash-index.js';
import { TRANSFORMS } from '../memory/image-matcher.js';
import { indexId, parseIndexId } from '../memory/index-ids.js';
import { isPrivateSighting, type MediaStore, type Sighting } from '../memory/media-store.js';
import type { ImageFeatures } from '../similarity/features/orb.js';
import type { FairShare } from './fair-share.js';
import { emitEvent, type WebhookStore } from './webhooks.js';

/** Images seen before one entry is compared with at most (the nearest). */
const MAX_IMAGES = 50;
/**
 * Index lookups of an import between two turns of the event loop: one costs 0.14 ms of CPU against an
 * index of up to 100,000 hashes (`npm run bench:import`, 100,000 rows: 19.5 s of CPU into a debunked
 * bank, 5.5 s into an archive one) and ~0.2 ms against 200,000, so a turn stays near 10 ms.
 */
const LOOKUPS_PER_TURN = 50;

/** The way back: the index says how the entry's picture differs from the image; the event says the reverse. */
const INVERSE: Record<string, string> = {
  rotated_90_clockwise: 'rotated_90_counterclockwise',
  rotated_90_counterclockwise: 'rotated_90_clockwise',
};

export interface BankAnnouncementDeps {
  hashes: HashIndex;
  media: MediaStore;
  factChecks: FactCheckStore;
  events: { store: WebhookStore; queue: Queue<WebhookJob>; fair: FairShare };
  thresholds: Config['matching'];
  /**
   * Local features, for `partial` matches of an entry given as an image (FEATURE_MINIMUM_INLIERS as a
   * check uses it). Null or absent: entries are matched by their hashes only.
   */
  partial?: { features: FeatureIndex; minInliers: number } | null | undefined;
}

/** What is known of an entry's picture beyond its stored hashes, when it was given as an image. */
export interface EntryPicture {
  /** Its PDQ's 8 rotations and flips. */
  dihedral?: readonly string[] | undefined;
  /** Its local features (ORB), as a check extracts them. */
  features?: ImageFeatures | undefined;
}

interface Seen {
  sha256: string;
  kind: 'exact' | 'near_duplicate' | 'content_region' | 'partial';
  hash: 'sha256' | 'pdq' | 'phash' | 'orb';
  distance: number;
  transform: string;
  inliers?: number;
}

/** The surest first, as a report orders matches (src/memory/image-matcher.ts). */
const KIND_ORDER: Record<Seen['kind'], number> = {
  exact: 0,
  near_duplicate: 1,
  content_region: 2,
  partial: 3,
};
const surer = (a: Seen, b: Seen) =>
  KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.distance - b.distance || (b.inliers ?? 0) - (a.inliers ?? 0);

/** The images seen before that an entry's hashes match, nearest first, one per file. */
function hashMatches(deps: BankAnnouncementDeps, entry: BankEntry, dihedral?: readonly string[]): Seen[] {
  const { pdqMaxDistance, phashMaxDistance, minPdqQuality } = deps.thresholds;
  const byPdq = !!entry.pdq && (entry.quality === null || entry.quality >= minPdqQuality);
  const hits = byPdq
    ? deps.hashes.queryPdq(dihedral?.length ? dihedral : [entry.pdq as string], {
        maxDistance: pdqMaxDistance,
        limit: MAX_IMAGES * 2,
      })
    : entry.phash
      ? deps.hashes.queryPhash(entry.phash, { maxDistance: phashMaxDistance, limit: MAX_IMAGES * 2 })
      : [];
  const out = new Map<string, Seen>();
  for (const hit of hits) {
    const ref = parseIndexId(hit.id);
    if (!ref || (ref.kind !== 'media' && ref.kind !== 'region')) continue;
    if (out.has(ref.sha256)) continue;
    const transform = TRANSFORMS[hit.variant] ?? 'none';
    out.set(ref.sha256, {
      sha256: ref.sha256,
      kind:
        ref.kind === 'region' ? 'content_region' : ref.sha256 === entry.sha256 ? 'exact' : 'near_duplicate',
      hash: ref.kind === 'media' && ref.sha256 === entry.sha256 ? 'sha256' : hit.hash,
      distance: ref.kind === 'media' && ref.sha256 === entry.sha256 ? 0 : hit.distance,
      transform: INVERSE[transform] ?? transform,
    });
  }
  return [...out.values()].slice(0, MAX_IMAGES);
}

/**
 * The images seen before that share part of the entry's picture (a crop of it, the whole it was cropped
 * from, a collage), by local features and their geometric check, as a check's `partial` matches; only
 * those its hashes did not find already (the surer match).
 */
async function partialMatches(
  deps: BankAnnouncementDeps,
  features: ImageFeatures,
  found: readonly Seen[],
): Promise<Seen[]> {
  const partial = deps.partial;
  if (!partial) return [];
  const exclude = new Set(found.map((s) => indexId.media(s.sha256)));
  const out: Seen[] = [];
  for (const hit of await partial.features.query(features, { exclude })) {
    const ref = parseIndexId(hit.id);
    if (ref?.kind !== 'media' || hit.inliers < partial.minInliers) continue;
    out.push({
      sha256: ref.sha256,
      kind: 'partial',
      hash: 'orb',
      distance: 0,
      transform: 'none',
      inliers: hit.inliers,
    });
  }
  return out;
}

/** Per organization that may see the bank, its own sightings of one image (newest first). */
function byOrganization(bank: StoredBank, sightings: readonly Sighting[]): Map<string, Sighting[]> {
  const out = new Map<string, Sighting[]>();
  for (const s of sightings) {
    if (!bankVisibleTo(bank, s.org)) continue;
    const mine = out.get(s.org) ?? [];
    if (!mine.some((m) => m.check_id === s.check_id)) mine.push(s);
    out.set(s.org, mine);
  }
  return out;
}

/**
 * Links each entry to the images it matches (a debunked bank), then tells every organization that checked
 * one of them once per image, naming the entry that matches it best. Stable event ids: adding an entry is
 * done once, and a retried announcement is the same message. Returns how many events were sent.
 */
async function announce(
  deps: BankAnnouncementDeps,
  bank: StoredBank,
  found: ReadonlyArray<{ entry: BankEntry; seen: readonly Seen[] }>,
): Promise<number> {
  const best = new Map<string, { entry: BankEntry; image: Seen }>();
  for (const { entry, seen } of found) {
    if (!seen.length) continue;
    if (bank.kind === 'debunked')
      await deps.factChecks.link(
        bank.id,
        entry.id,
        seen.map((s) => s.sha256),
      );
    for (const image of seen) {
      const had = best.get(image.sha256);
      if (!had || surer(image, had.image) < 0) best.set(image.sha256, { entry, image });
    }
  }
  if (!best.size) return 0;
  const sightings = await deps.media.sightingsOf([...best.keys()]);
  let sent = 0;
  for (const { entry, image } of best.values()) {
    for (const [org, mine] of byOrganization(bank, sightings.get(image.sha256) ?? [])) {
      const latest = mine[0] as Sighting;
      const checkIds = mine.map((s) => s.check_id).sort();
      // The URL where this organization saw it; an upload is not named (as in fact_check.found).
      const mediaUrl = isPrivateSighting(latest) ? null : latest.source_url;
      const inliers = image.inliers !== undefined ? { inliers: image.inliers } : {};
      const match = { kind: image.kind, hash: image.hash, distance: image.distance, ...inliers };
      const id = `${bank.id}_${entry.id}_${image.sha256.slice(0, 16)}_${org}`;
      if (bank.kind === 'debunked') {
        await emitEvent(deps.events, {
          id: `msg_fc_${id}`,
          type: 'fact_check.found',
          org,
          checkId: latest.check_id,
          data: {
            check_ids: checkIds,
            sha256: image.sha256,
            media_url: mediaUrl,
            match,
            // A debunked entry's verdict, in the shape of a fact-check: its label, verdict and evidence.
            fact_check: {
              url: entry.source_url,
              title: entry.label,
              claim: null,
              rating: entry.verdict,
              publisher: { name: bank.name, site: null },
              reviewed_at: null,
              language: null,
            },
            bank: { id: bank.id, name: bank.name, kind: bank.kind, publisher: bank.org, entry_id: entry.id },
          },
        });
      } else {
        await emitEvent(deps.events, {
          id: `msg_wl_${id}`,
          type: 'match.found',
          org,
          checkId: latest.check_id,
          data: {
            check_id: latest.check_id,
            check_ids: checkIds,
            found_when: 'entry_added',
            bank: { id: bank.id, name: bank.name },
            entry: { id: entry.id, label: entry.label, verdict: entry.verdict },
            kind: image.kind,
            hash: image.hash,
            distance: image.distance,
            ...inliers,
            transform: image.transform,
            seen_at: latest.at,
            media_url: mediaUrl,
            sha256: image.sha256,
            post_url: latest.post_url,
            posted_at: latest.posted_at,
          },
        });
      }
      sent++;
    }
  }
  return sent;
}

const announces = (bank: StoredBank) => bank.kind === 'debunked' || bank.kind === 'watchlist';

/**
 * After an entry was added to a `debunked` or `watchlist` bank: the images seen before that match it
 * (by hash, and by local features when its picture was given), and the organizations whose checks saw
 * them, told once each. Returns how many events were sent.
 */
export async function announceEarlierMatches(
  deps: BankAnnouncementDeps,
  bank: StoredBank,
  entry: BankEntry,
  picture: EntryPicture = {},
): Promise<number> {
  if (!announces(bank)) return 0;
  const seen = hashMatches(deps, entry, picture.dihedral);
  if (picture.features) seen.push(...(await partialMatches(deps, picture.features, seen)));
  return announce(deps, bank, [{ entry, seen: seen.sort(surer).slice(0, MAX_IMAGES) }]);
}

/**
 * After rows of a CSV import were added to a `debunked` or `watchlist` bank (one batch of one request):
 * the same, by their hashes (a hash list has no pictures, so no `partial` matches), LOOKUPS_PER_TURN
 * lookups per turn of the event loop, and one event per organization per image for the whole batch.
 */
export async function announceImportedEntries(
  deps: BankAnnouncementDeps,
  bank: StoredBank,
  entries: readonly BankEntry[],
): Promise<number> {
  if (!announces(bank)) return 0;
  const found: Array<{ entry: BankEntry; seen: Seen[] }> = [];
  for (const [i, entry] of entries.entries()) {
    if (i > 0 && i % LOOKUPS_PER_TURN === 0) await setImmediate();
    const seen = hashMatches(deps, entry);
    if (seen.length) found.push({ entry, seen });
  }
  return announce(deps, bank, found);
}
