import type { Released } from "../release/gate";

/** For tests that play a site worker against the hub: marks a hand-made value as if the release gate had passed it. */
export function asReleased<T>(value: T): Released<T> {
  return value as Released<T>;
}
