// The near-duplicate index's vocabulary: what goes in (IndexEntry), what comes out (Hit), and the
// default thresholds. The thresholds are defaults, not configuration: whoever wires the index in passes
// config values; nothing here reads the environment.

/** PDQ distance at or under which two images are the same picture: the reference threshold (31 of 256). */
export const PDQ_MAX_DISTANCE = 31;
/** pHash distance used when PDQ cannot be trusted (10 of 64). */
export const PHASH_MAX_DISTANCE = 10;
/** Below this PDQ quality the query falls back to pHash (PDQ's own guidance: < 50 is unreliable). */
export const PDQ_MIN_QUALITY = 50;
/** Most hits one query returns unless asked otherwise (nearest first). */
export const DEFAULT_HIT_LIMIT = 100;

/** Order of the 8 dihedral PDQ hashes, as the PDQ reference and `Hashes.pdq.dihedral` give them. */
export const DIHEDRAL_VARIANTS = [
  'original',
  'rot90',
  'rot180',
  'rot270',
  'flipx',
  'flipy',
  'flip+1',
  'flip-1',
] as const;

/** One remembered image (or bank item). At least one of `pdq` and `phash` is required. */
export interface IndexEntry {
  /** Opaque to the index, e.g. `m:<sha256>` for media seen, `b:<bankId>:<entryId>` for a bank item. */
  id: string;
  /** PDQ of the image as displayed: 64 hex digits. */
  pdq?: string;
  /** PDQ quality 0-100; kept with the entry and returned by `get`, not used for matching. */
  quality?: number;
  /** 64-bit DCT hash as Python imagehash prints it: 16 hex digits. */
  phash?: string;
}

export interface Hit {
  id: string;
  /** Hamming distance between the matching hashes. */
  distance: number;
  /** Which hash matched. */
  hash: 'pdq' | 'phash';
  /** Which dihedral variant of the query matched (index into DIHEDRAL_VARIANTS); 0 for pHash. */
  variant: number;
}

export interface QueryOptions {
  /** Largest distance returned (PDQ default 31, pHash default 10). */
  maxDistance?: number;
  /** Most hits returned, nearest first (default 100). */
  limit?: number;
}

/** What the pipeline knows about a new image: its PDQ dihedral hashes, their quality, its pHash. */
export interface IndexQuery {
  /** 1 to 8 PDQ hashes in DIHEDRAL_VARIANTS order (normally all 8; [0] is the image as displayed). */
  pdq?: readonly string[];
  quality?: number;
  phash?: string;
}
