// A debunked or watchlist bank entry added after the fact reaches the checks that already saw its picture
// (issue 18 item 3), as a fact-check added later does (src/services/fact-checks.ts):
//  - the images seen before that match the entry's picture are found in the hash index: the same picture
//    (PDQ, or pHash when the PDQ is too weak), or the picture inside an image seen (its content region:
//    a framed copy or a screenshot of it);
//  - a `debunked` entry is a verdict on the picture: their media records gain it as a fact-check
//    (`fact-checks-of`, so checks matching them later meet it too) and each organization that checked
//    one of them, and may see the bank, gets `fact_check.found`;
//  - a `watchlist` entry is no verdict, only "tell me when this picture shows up": the organizations
//    get `match.found`, the event watchlists already send when a check meets one, marked
//    `found_when: "entry_added"` (their later checks meet the entry through the index, as always).
// Each event names only the receiving organization's own checks; another organization's upload is
// never named to anyone else (sightings are read per organization). Entries of a bulk CSV import are
// not announced: 20,000 index queries do not belong in one request.
import type { WebhookJob } from '../../schemas/webhook-jobs.js';
import type { Queue } from 'bullmq';
import type { Config } from '../config.js';
import { bankVisibleTo, type BankEntry, type StoredBank } from '../memory/banks.js';
import type { FactCheckStore } from '../memory/fact-checks.js';
import type { HashIndex } from '../memory/hash-index/hash-index.js';
import { TRANSFORMS } from '../memory/image-matcher.js';
import { parseIndexId } from '../memory/index-ids.js';
import { isPrivateSighting, type MediaStore, type Sighting } from '../memory/media-store.js';
import type { FairShare } from './fair-share.js';
import { emitEvent, type WebhookStore } from './webhooks.js';

/** Images seen before one entry is compared with at most (the nearest). */
const MAX_IMAGES = 50;

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
}

interface Seen {
  sha256: string;
  kind: 'exact' | 'near_duplicate' | 'content_region';
  hash: 'sha256' | 'pdq' | 'phash';
  distance: number;
  transform: string;
}

/** The images seen before that an entry's picture matches, nearest first, one per file. */
function seenMatching(deps: BankAnnouncementDeps, entry: BankEntry, dihedral?: readonly string[]): Seen[] {
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
 * After an entry was added to a `debunked` or `watchlist` bank: the images seen before that match it, and
 * the organizations whose checks saw them, told once each (stable event ids: adding the entry is done
 * once, and a retried announcement is the same message). Returns how many events were sent.
 */
export async function announceEarlierMatches(
  deps: BankAnnouncementDeps,
  bank: StoredBank,
  entry: BankEntry,
  dihedral?: readonly string[],
): Promise<number> {
  if (bank.kind !== 'debunked' && bank.kind !== 'watchlist') return 0;
  const seen = seenMatching(deps, entry, dihedral);
  if (!seen.length) return 0;
  if (bank.kind === 'debunked')
    await deps.factChecks.link(
      bank.id,
      entry.id,
      seen.map((s) => s.sha256),
    );
  let sent = 0;
  for (const image of seen) {
    for (const [org, sightings] of byOrganization(bank, await deps.media.sightings(image.sha256))) {
      const latest = sightings[0] as Sighting;
      const checkIds = sightings.map((s) => s.check_id).sort();
      // The URL where this organization saw it; an upload is not named (as in fact_check.found).
      const mediaUrl = isPrivateSighting(latest) ? null : latest.source_url;
      const match = { kind: image.kind, hash: image.hash, distance: image.distance };
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
