// `piccolo server --print-config`: the effective settings and where each one
// came from, one per line. Secrets are never printed, only whether they are set.

import { type ServerConfig } from './load-config.js';
import { SERVER_SETTINGS, type SettingValue } from './server-settings.js';

function show(value: SettingValue | undefined, secret: boolean): string {
  if (value === undefined) return '(unset)';
  if (secret) return '(set, hidden)';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(',');
  return String(value);
}

export function formatConfig(config: ServerConfig): string {
  const rows = SERVER_SETTINGS.map((spec) => {
    const resolved = config.settings.get(spec.name)!;
    return [spec.name, show(resolved.value, spec.kind.type === 'secret'), resolved.source === 'default' ? 'default' : `${resolved.source} ${resolved.origin}`];
  });
  const nameWidth = Math.max(...rows.map((r) => r[0]!.length));
  const valueWidth = Math.min(40, Math.max(...rows.map((r) => r[1]!.length)));
  return rows.map(([name, value, source]) => `${name!.padEnd(nameWidth)}  ${value!.padEnd(valueWidth)}  ${source}`).join('\n') + '\n';
}

/** The same as JSON, for tools: `{ name: { value, source, origin } }`, secrets hidden. */
export function configAsJson(config: ServerConfig): Record<string, { value: SettingValue | null | '(hidden)'; source: string; origin: string }> {
  const out: Record<string, { value: SettingValue | null | '(hidden)'; source: string; origin: string }> = {};
  for (const spec of SERVER_SETTINGS) {
    const r = config.settings.get(spec.name)!;
    const hidden = spec.kind.type === 'secret' && r.value !== undefined;
    out[spec.name] = { value: hidden ? '(hidden)' : r.value ?? null, source: r.source, origin: r.origin };
  }
  return out;
}
