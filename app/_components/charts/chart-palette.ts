/** NHS identity colours, in an order that stays distinguishable for common colour-vision deficiencies. */
export const SERIES_COLOURS = ["#005eb8", "#ed8b00", "#009639", "#330072", "#00a499", "#ae2573"] as const;

export function colourAt(index: number): string {
  return SERIES_COLOURS[index % SERIES_COLOURS.length]!;
}
