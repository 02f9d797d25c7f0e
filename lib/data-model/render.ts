import type { KeyKind } from '../keys';
import {
  DATA_MODEL,
  type Fields,
  INVARIANTS,
  type InvariantId,
  invariantsOf,
  type KindModel,
  type TtlRule,
} from './model';

/** The README's two data tables, rendered from the model (tests/unit/data-model.test.ts compares them). */

/** A name with `<…>` in it, in a code span: markdown would read `<uid>` as a tag. */
const code = (text: string): string => (text.includes('<') ? `\`${text}\`` : text);

const renderFields = (fields: Fields): string =>
  Object.entries(fields)
    .map(([name, f]) => `${code(name)}${f.presence === 'optional' ? '?' : ''}${f.note ? ` (${f.note})` : ''}`)
    .join(', ');

/** A kind's content, as the README's table says it. */
function renderContent(model: KindModel): string {
  const parts: string[] = [];
  if (model.fields) parts.push(renderFields(model.fields));
  if (model.entries) {
    const each = model.entries.record ? `JSON {${renderFields(model.entries.record)}}` : model.entries.value;
    parts.push(`${code(model.entries.field)} → ${each}`);
  }
  if (model.record) parts.push(`JSON {${renderFields(model.record)}}`);
  if (model.value) parts.push(model.value);
  return parts.length > 0 ? `${model.about}: ${parts.join('; ')}` : model.about;
}

const TTL_TEXT: Record<TtlRule, string> = {
  none: '–',
  required: 'yes',
  'latest-record': '≥ its latest record',
};

function renderTtl(model: KindModel): string {
  if (!model.ttlNote) return TTL_TEXT[model.ttl];
  return model.ttl === 'none' ? model.ttlNote : `${TTL_TEXT[model.ttl]}: ${model.ttlNote}`;
}

/** An invariant's text with its key names (`email:<e>`, `identity-index:<p>[subject]`) in code spans. */
const renderInvariant = (text: string): string =>
  text.replace(/[\w-]+:<[^>]+>(?:\[[^\]]*\])?(?:\.\w+)?/g, (name) => `\`${name}\``);

/** The README's table of keys: key, type, owner, content (`?`: may be absent), TTL rule, invariants named. */
export function renderKeyTable(): string {
  const rows = (Object.entries(DATA_MODEL) as [KeyKind, KindModel][]).map(
    ([kind, model]) =>
      `| \`${kind}:${model.id}\` | ${model.type} | ${model.owner} | ${renderContent(model)} | ${renderTtl(model)} | ${invariantsOf(kind).join(', ') || '–'} |`,
  );
  return ['| key | type | owner | content | TTL | invariants |', '|---|---|---|---|---|---|', ...rows].join(
    '\n',
  );
}

/** The README's table of invariants. */
export function renderInvariantTable(): string {
  const rows = (Object.entries(INVARIANTS) as [InvariantId, string][]).map(
    ([id, text]) => `| ${id} | ${renderInvariant(text)} |`,
  );
  return ['| invariant | what holds |', '|---|---|', ...rows].join('\n');
}
