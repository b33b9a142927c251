// Banks: named collections of known media (an agency archive, debunked images, a watchlist) whose
// entries every new image is matched against. Entries are hashes plus what the bank knows of the image;
// their hashes go into the shared near-duplicate index as `b:<bank>:<entry>`.
import { randomBytes } from 'node:crypto';
import { batch, type RedisClient } from '../redis.js';
import type { Bank, BankKind } from '../../schemas/banks.js';
import { indexId } from './index-ids.js';
import type { VideoIndex } from './video-index.js';
import type { HashIndex } from './hash-index/hash-index.js';
import type { Keys } from '../keys.js';
import { OPERATOR_ORG } from '../services/api-keys.js';

/** A bank as the memory keeps it (schemas/banks.ts `Bank` is how the API shows it to an organization). */
export interface StoredBank {
  id: string;
  /** The organization that owns it: for a shared bank, its publisher, named in other organizations' reports. */
  org: string;
  name: string;
  description: string;
  kind: BankKind;
  /** Matched in every organization's checks: only when its owner may publish shared banks. */
  shared: boolean;
  created_at: string;
  entries: number;
}

/** Who may publish shared banks: the operator, and the organizations it names (SHARED_BANK_PUBLISHERS). */
export function mayPublishShared(org: string, publishers: readonly string[]): boolean {
  return org === OPERATOR_ORG || publishers.includes(org);
}

export interface BankEntryInput {
  pdq: string | null;
  quality: number | null;
  phash: string | null;
  label: string;
  verdict: string | null;
  source_url: string | null;
  first_published: string | null;
  sha256?: string | null;
}

export interface BankEntry extends BankEntryInput {
  id: string;
  bank_id: string;
}

/**
 * The one visibility rule: an organization sees and matches its own banks and the shared ones; a deleted
 * bank (null) never matches.
 */
export const bankVisibleTo = (b: StoredBank | null, org: string): b is StoredBank =>
  !!b && (b.org === org || b.shared);

/** A bank as the API shows it to `org`. */
export function bankView(b: StoredBank, org: string): Bank {
  return {
    id: b.id,
    name: b.name,
    description: b.description,
    kind: b.kind,
    shared: b.shared,
    owned: b.org === org,
    publisher: b.org,
    entries: b.entries,
    created_at: b.created_at,
  };
}

export function createBankStore(
  redis: RedisClient,
  keys: Keys,
  indexes: { hashes: HashIndex; videos: VideoIndex },
  sharing: { publishers: readonly string[] } = { publishers: [] },
) {
  const { hashes: index, videos } = indexes;
  const read = (h: Record<string, string>): StoredBank | null =>
    h.id && h.org
      ? {
          id: h.id,
          org: h.org,
          name: h.name ?? '',
          description: h.description ?? '',
          kind: (h.kind ?? 'archive') as BankKind,
          // Checked at every read, not only when the bank was made: a bank shared before the operator
          // withdrew its owner's right to publish stops reaching other organizations at once.
          shared: h.shared === '1' && mayPublishShared(h.org, sharing.publishers),
          created_at: h.created_at ?? '',
          entries: Number(h.entries ?? 0),
        }
      : null;

  const store = {
    async create(
      org: string,
      input: { name: string; description?: string; kind: BankKind; shared?: boolean },
    ): Promise<StoredBank> {
      const bank: StoredBank = {
        id: `bank_${randomBytes(6).toString('hex')}`,
        org,
        name: input.name,
        description: input.description ?? '',
        kind: input.kind,
        shared: input.shared ?? false,
        created_at: new Date().toISOString(),
        entries: 0,
      };
      await redis.hset(keys.bank(bank.id), { ...bank, shared: bank.shared ? '1' : '0', next_entry: 0 });
      await redis.sadd(keys.orgBanks(org), bank.id);
      if (bank.shared) await redis.sadd(keys.sharedBanks(), bank.id);
      return bank;
    },

    get: async (id: string) => read(await redis.hgetall(keys.bank(id))),

    /** Banks an organization may see and match against: its own and the shared ones. */
    async visibleTo(org: string): Promise<StoredBank[]> {
      const ids = new Set([
        ...(await redis.smembers(keys.orgBanks(org))),
        ...(await redis.smembers(keys.sharedBanks())),
      ]);
      const banks = await Promise.all([...ids].sort().map((id) => store.get(id)));
      return banks.filter((b): b is StoredBank => bankVisibleTo(b, org));
    },

    /**
     * Deletes a bank. Its entries stop matching at once (matches are resolved through the bank record,
     * which is gone); their index slots and entry records are removed in the background.
     */
    async remove(bank: StoredBank): Promise<void> {
      const next = Number((await redis.hget(keys.bank(bank.id), 'next_entry')) ?? 0);
      await redis.del(keys.bank(bank.id));
      await redis.srem(keys.orgBanks(bank.org), bank.id);
      await redis.srem(keys.sharedBanks(), bank.id);
      void (async () => {
        for (let i = 1; i <= next; i++) {
          await index.remove(indexId.bank(bank.id, `e${i}`));
          await redis.del(keys.bankEntry(bank.id, `e${i}`));
        }
      })().catch(() => undefined);
    },

    /** Adds entries in one batch of writes and one index batch; returns their ids. */
    async addEntries(bank: StoredBank, rows: BankEntryInput[]): Promise<string[]> {
      if (!rows.length) return [];
      const last = await redis.hincrby(keys.bank(bank.id), 'next_entry', rows.length);
      const ids = rows.map((_, i) => `e${last - rows.length + i + 1}`);
      const entries = rows.map((row, i) => ({ row, id: ids[i] as string }));
      // Entries lie in many cluster slots: a batch of single-key commands (one pipeline on one Redis).
      await batch(redis, entries, (pipe, { row, id }) => {
        // Only the fields a row has: most hash-list rows carry a PDQ, a quality and a label, nothing else.
        const fields = {
          label: row.label,
          verdict: row.verdict,
          source_url: row.source_url,
          first_published: row.first_published,
          pdq: row.pdq,
          quality: row.quality,
          phash: row.phash,
          sha256: row.sha256,
        };
        pipe.hset(
          keys.bankEntry(bank.id, id),
          Object.fromEntries(
            Object.entries(fields).filter(([, v]) => v !== null && v !== undefined && v !== ''),
          ),
        );
      });
      await redis.hincrby(keys.bank(bank.id), 'entries', rows.length);
      await index.addMany(
        rows.map((row, i) => ({
          id: indexId.bank(bank.id, ids[i] as string),
          ...(row.pdq && { pdq: row.pdq }),
          ...(row.quality !== null && { quality: row.quality }),
          ...(row.phash && { phash: row.phash }),
        })),
      );
      return ids;
    },

    /**
     * Adds a video entry: its record holds what the bank knows, like an image entry, plus its frame count;
     * its vPDQ (lines as formatted by src/similarity/vpdq.ts) goes into the video index.
     */
    async addVideoEntry(
      bank: StoredBank,
      meta: Pick<BankEntryInput, 'label' | 'verdict' | 'source_url' | 'first_published'>,
      vpdq: { lines: string[]; minQuality: number },
    ): Promise<string> {
      const next = await redis.hincrby(keys.bank(bank.id), 'next_entry', 1);
      const id = `e${next}`;
      const fields = { ...meta, kind: 'video', frames: vpdq.lines.length };
      await redis.hset(
        keys.bankEntry(bank.id, id),
        Object.fromEntries(
          Object.entries(fields).filter(([, v]) => v !== null && v !== undefined && v !== ''),
        ),
      );
      await redis.hincrby(keys.bank(bank.id), 'entries', 1);
      await videos.add({ id: indexId.bank(bank.id, id), vpdq: vpdq.lines, contentVpdq: [] }, vpdq.minQuality);
      return id;
    },

    async entry(bankId: string, entryId: string): Promise<BankEntry | null> {
      const h = await redis.hgetall(keys.bankEntry(bankId, entryId));
      if (h.label === undefined) return null;
      return {
        id: entryId,
        bank_id: bankId,
        label: h.label,
        verdict: h.verdict || null,
        source_url: h.source_url || null,
        first_published: h.first_published || null,
        pdq: h.pdq || null,
        quality: h.quality ? Number(h.quality) : null,
        phash: h.phash || null,
        sha256: h.sha256 || null,
      };
    },
  };
  return store;
}

export type BankStore = ReturnType<typeof createBankStore>;
