// How deep a data command's reply tree (core/protocol/data-value.ts) may nest
// on any wire. Shared by the binary codecs (fast and capnp-ts), the JSON
// codec and the client, so that what one side writes the other reads.

/**
 * Levels of a DataValue tree: a scalar is one level, an array of scalars
 * two. Redis's own replies nest at most three or four deep (XRANGE: array of
 * [id, array of fields]; COMMAND INFO a little more), so eight leaves room
 * while a hostile frame, whose lists may point back at themselves, cannot
 * make a reader recurse deeper than eight calls.
 */
export const DATA_VALUE_DEPTH_MAX = 8;

export function dataValueTooDeepMessage(): string {
  return `reply data nests deeper than ${DATA_VALUE_DEPTH_MAX} levels`;
}
