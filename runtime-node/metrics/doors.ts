// The node's front doors as metric labels, and the numbering that lets the
// request path index plain arrays by door instead of looking strings up.

export const DOORS = ['ws', 'http', 'resp'] as const;
export type Door = (typeof DOORS)[number];

/** Index of a door in DOORS. */
export function doorIndex(door: Door): number {
  switch (door) {
    case 'ws': return 0;
    case 'http': return 1;
    case 'resp': return 2;
  }
}
