// Banks as the API offers them: who may see, change and publish a bank, and turning what a caller
// sends (an image URL, an uploaded image, a vPDQ file, a CSV hash list) into entries. The routes call
// these and reply; the data itself is the memory's bank store (src/memory/banks.ts).
import { CsvError } from 'csv-parse';
import type {
  Bank as BankView,
  BankCreate,
  BankEntry as BankEntryView,
  BankEntryCreate,
  BankEntryQuery,
  ImportResult,
} from '../../schemas/banks.js';
import type { Hashes } from '../../schemas/hashes.js';
import type { VpdqImportResult } from '../../schemas/video.js';
import type { Config } from '../config.js';
import { HttpErrors, isMediaError } from '../errors.js';
import {
  bankView,
  bankVisibleTo,
  mayPublishShared,
  type BankEntry,
  type BankEntryInput,
  type BankStore,
  type StoredBank,
} from '../memory/banks.js';
import type { SafeFetcher } from '../net/safe-fetch.js';
import type { ImageFeatures } from '../similarity/features/orb.js';
import { comparableFrames, formatVpdqLine, readVpdq } from '../similarity/vpdq.js';
import { isOperator, type Principal } from './api-keys.js';
import type { EntryPicture } from './bank-announcements.js';
import { readHashCsv } from './hash-csv.js';

export interface BankServiceDeps {
  /** The memory's bank store: it also puts entries' hashes and videos' frames in the indexes. */
  store: BankStore;
  /** Fetches an entry's image_url, with the same guard as media. */
  fetcher: SafeFetcher;
  /**
   * Hashes an image as a check's media step does (src/pipeline/image-hashing.ts). Given in rather than
   * imported: the pipeline sits above the services (.dependency-cruiser.cjs).
   */
  hashImage: (
    bytes: Buffer,
    contentType: string | null,
    maxPixels: number,
  ) => Promise<{ sha256: string; hashes: Hashes; features?: ImageFeatures | undefined }>;
  config: Pick<Config, 'sharedBankPublishers' | 'maxInputPixels' | 'video'>;
  /**
   * Told of each entry added one at a time, with its picture's PDQ rotations and local features when an
   * image was given: a debunked or watchlist entry reaches the checks that saw its picture before
   * (src/services/bank-announcements.ts). Absent: nothing is announced.
   */
  entryAdded?: ((bank: StoredBank, entry: BankEntry, picture?: EntryPicture) => Promise<unknown>) | undefined;
  /** Told of the rows of a CSV import, a batch at a time, once they are entries (the same purpose). */
  entriesImported?: ((bank: StoredBank, entries: readonly BankEntry[]) => Promise<unknown>) | undefined;
}

/** A hash list is written in batches of this many rows, so one request never builds a giant pipeline. */
const IMPORT_BATCH = 5000;

const entryMeta = (q: BankEntryQuery) => ({
  label: q.label,
  verdict: q.verdict ?? null,
  source_url: q.source_url ?? null,
  first_published: q.first_published ?? null,
});

export function createBankService({
  store,
  fetcher,
  hashImage,
  config,
  entryAdded,
  entriesImported,
}: BankServiceDeps) {
  /**
   * The bank if the caller may see it (its own, or a shared one); `write` also requires owning it. A bank
   * of another organization that is not shared is as good as missing (404); a shared one is read-only (403).
   */
  async function visible(id: string, principal: Principal, write = false): Promise<StoredBank> {
    const bank = await store.get(id);
    const org = principal.org;
    if (!bankVisibleTo(bank, org)) throw new HttpErrors.not_found(`No bank ${id}`);
    if (write && bank.org !== org)
      throw new HttpErrors.forbidden('A shared bank is read-only to other organizations');
    return bank;
  }

  /** Hashes of an image given by URL or uploaded; an image that cannot be used is the caller's to fix. */
  async function imageRow(
    bytes: Buffer,
    contentType: string | null,
    meta: Omit<BankEntryInput, 'pdq' | 'quality' | 'phash'>,
  ): Promise<BankEntryInput & { picture: EntryPicture }> {
    try {
      const { sha256, hashes, features } = await hashImage(bytes, contentType, config.maxInputPixels);
      return {
        ...meta,
        sha256,
        pdq: hashes.pdq.hash,
        quality: hashes.pdq.quality,
        phash: hashes.phash,
        picture: { dihedral: hashes.pdq.dihedral, features },
      };
    } catch (err) {
      if (isMediaError(err))
        throw new HttpErrors.invalid_request(`The image cannot be used: ${err.code}: ${err.message}`);
      throw err;
    }
  }

  async function addRow(
    bank: StoredBank,
    { picture, ...row }: BankEntryInput & { picture?: EntryPicture },
  ): Promise<BankEntryView> {
    const [entryId] = await store.addEntries(bank, [row]);
    const entry = await store.entry(bank.id, entryId as string);
    if (!entry) throw new HttpErrors.not_found(`No entry ${entryId}`);
    await entryAdded?.(bank, entry, picture);
    return { ...entry, sha256: entry.sha256 ?? null };
  }

  return {
    async create(principal: Principal, input: BankCreate): Promise<BankView> {
      // A shared bank's verdicts appear in every newsroom's reports: publishing one is the operator's call.
      if (
        input.shared &&
        !isOperator(principal) &&
        !mayPublishShared(principal.org, config.sharedBankPublishers)
      )
        throw new HttpErrors.forbidden(
          'Only the operator, or an organization it allows (SHARED_BANK_PUBLISHERS), publishes shared banks',
        );
      const bank = await store.create(principal.org, input);
      return bankView(bank, bank.org);
    },

    /** Banks the caller owns and banks shared with everyone. */
    async list(principal: Principal): Promise<BankView[]> {
      return (await store.visibleTo(principal.org)).map((b) => bankView(b, principal.org));
    },

    async get(id: string, principal: Principal): Promise<BankView> {
      return bankView(await visible(id, principal), principal.org);
    },

    async remove(id: string, principal: Principal): Promise<void> {
      await store.remove(await visible(id, principal, true));
    },

    /**
     * The bank if the caller may add to it. Routes taking a raw body ask first, so a bank the caller
     * may not change is refused before what was sent is looked at.
     */
    writable: (id: string, principal: Principal) => visible(id, principal, true),

    /** One entry by image URL (fetched and hashed) or by its PDQ and/or pHash. */
    async addEntry(bank: StoredBank, input: BankEntryCreate): Promise<BankEntryView> {
      const meta = entryMeta(input);
      if (input.image_url) {
        const fetched = await fetcher.get(input.image_url).catch((err: unknown) => {
          throw isMediaError(err)
            ? new HttpErrors.invalid_request(`image_url: ${err.code}: ${err.message}`)
            : err;
        });
        return addRow(bank, await imageRow(fetched.body, fetched.contentType, meta));
      }
      if (input.pdq || input.phash)
        return addRow(bank, {
          ...meta,
          pdq: input.pdq?.toLowerCase() ?? null,
          quality: input.quality ?? null,
          phash: input.phash?.toLowerCase() ?? null,
        });
      throw new HttpErrors.invalid_request('Give an image_url, a pdq or a phash');
    },

    /** One entry from an uploaded image. */
    async addImage(
      bank: StoredBank,
      bytes: Buffer,
      contentType: string | null,
      meta: BankEntryQuery,
    ): Promise<BankEntryView> {
      return addRow(bank, await imageRow(bytes, contentType, entryMeta(meta)));
    },

    /** One video entry from its vPDQ file: the entry record, and its frames in the video index. */
    async addVideo(bank: StoredBank, vpdqFile: Buffer, meta: BankEntryQuery): Promise<VpdqImportResult> {
      const { frames, rejected } = await readVpdq(vpdqFile);
      if (!frames.length) throw new HttpErrors.invalid_request('No vPDQ line in the body');
      const minQuality = config.video.vpdq.minQuality;
      const entryId = await store.addVideoEntry(bank, entryMeta(meta), {
        lines: frames.map(formatVpdqLine),
        minQuality,
      });
      return {
        entry_id: entryId,
        frames: frames.length,
        comparable_frames: comparableFrames(frames, minQuality).length,
        rejected_lines: rejected.slice(0, 100),
      };
    },

    /** A CSV hash list (one chunk of a big one): its readable rows become entries. */
    async importHashes(bank: StoredBank, csv: Buffer): Promise<ImportResult> {
      let parsed;
      try {
        parsed = await readHashCsv(csv);
      } catch (err) {
        // csv-parse's own errors (unclosed quote, a record over its size cap) are the caller's to fix.
        if (err instanceof CsvError)
          throw new HttpErrors.invalid_request(`Not a readable CSV: ${err.message}`);
        throw err;
      }
      for (let i = 0; i < parsed.rows.length; i += IMPORT_BATCH) {
        const rows = parsed.rows.slice(i, i + IMPORT_BATCH);
        const ids = await store.addEntries(bank, rows);
        if (entriesImported)
          await entriesImported(
            bank,
            rows.map((row, j) => ({ ...row, id: ids[j] as string, bank_id: bank.id })),
          );
      }
      const now = await store.get(bank.id);
      return {
        imported: parsed.rows.length,
        rejected: parsed.rejected,
        errors: parsed.errors,
        entries: now?.entries ?? 0,
      };
    },

    async entry(id: string, entryId: string, principal: Principal): Promise<BankEntryView> {
      const bank = await visible(id, principal);
      const entry = await store.entry(bank.id, entryId);
      if (!entry) throw new HttpErrors.not_found(`No entry ${entryId}`);
      return { ...entry, sha256: entry.sha256 ?? null };
    },
  };
}

export type BankService = ReturnType<typeof createBankService>;
