/**
 * KeyTally: a small fingerprint of the rows a sliced pull has already written. A later slice
 * re-reads those rows (to count identical ones again) and compares the tally, so a sheet edited
 * between slices is noticed instead of being half old, half new.
 *
 * The tally is a sum of two 32-bit hashes per key, so it is the same however the rows were split
 * into chunks, and it fits in a checkpoint. It is not a security measure: only a check that the
 * rows read twice were the same.
 */

function fnv1a(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final mix, so keys that differ in one late character spread over all bits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * A running multiset fingerprint of keys.
 *
 * @example
 * const tally = new KeyTally();
 * for (const record of records) tally.add(record.key);
 * checkpoint.tally = tally.value;
 */
export class KeyTally {
  #a = 0;
  #b = 0;
  #count = 0;

  /** Adds one key (a row hash, or a failed row's reason). */
  add(key: string): void {
    this.#a = (this.#a + fnv1a(key, 0x811c9dc5)) >>> 0;
    this.#b = (this.#b + fnv1a(key, 0x2545f491)) >>> 0;
    this.#count++;
  }

  /** The fingerprint so far: the count and both sums, as text. */
  get value(): string {
    return `${this.#count}:${this.#a.toString(16).padStart(8, "0")}${this.#b.toString(16).padStart(8, "0")}`;
  }
}
