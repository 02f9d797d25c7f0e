/**
 * Lua source without what Redis does not need to run it: comments and the whitespace between tokens
 * (a newline or a space kept only where two tokens would otherwise read as one). Strings, long
 * strings and every token are kept as written: `luaTokens(compactLua(lua))` equals `luaTokens(lua)`,
 * which tests/unit/lua-compact.test.ts checks for every script.
 *
 * The lexer is Lua 5.1's (Redis's): names, numbers, quoted and long strings, comments, operators.
 */

const WORD = /[A-Za-z0-9_]/;
const NUMBER = /^(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;
const OPERATOR = /^(?:\.\.\.|\.\.|==|~=|<=|>=|[-+*/%^#<>=(){}[\];:,.])/;

/** The level of the long bracket opening at `at` (`[[` 0, `[=[` 1, …), or -1 when none opens there. */
function longBracket(text, at) {
  const match = /^\[(=*)\[/.exec(text.slice(at, at + 64));
  return match ? match[1].length : -1;
}

/** The end (exclusive) of the long bracket of `level` opening at `at`; throws when it never closes. */
function longBracketEnd(text, at, level) {
  const close = `]${'='.repeat(level)}]`;
  const end = text.indexOf(close, at + level + 2);
  if (end < 0) throw new Error(`an unclosed long bracket at ${at}`);
  return end + close.length;
}

/**
 * The tokens of `lua`, in order, each with whether a newline came before it (in whitespace or a
 * comment). Throws on a character Lua would refuse, so that nothing unexpected is compacted.
 */
export function luaTokens(lua) {
  const tokens = [];
  let newline = false;
  let at = 0;
  while (at < lua.length) {
    const rest = lua.slice(at, at + 256);
    const c = lua[at];
    if (/\s/.test(c)) {
      if (c === '\n') newline = true;
      at++;
      continue;
    }
    if (rest.startsWith('--')) {
      const level = longBracket(lua, at + 2);
      if (level >= 0) {
        const end = longBracketEnd(lua, at + 2, level);
        if (lua.slice(at, end).includes('\n')) newline = true;
        at = end;
      } else {
        const end = lua.indexOf('\n', at);
        at = end < 0 ? lua.length : end;
      }
      continue;
    }
    let length;
    if (c === '"' || c === "'") {
      let i = at + 1;
      while (i < lua.length && lua[i] !== c) {
        if (lua[i] === '\n') throw new Error(`an unfinished string at ${at}`);
        i += lua[i] === '\\' ? 2 : 1;
      }
      if (i >= lua.length) throw new Error(`an unfinished string at ${at}`);
      length = i + 1 - at;
    } else if (c === '[' && longBracket(lua, at) >= 0) {
      length = longBracketEnd(lua, at, longBracket(lua, at)) - at;
    } else {
      const match = NUMBER.exec(rest) ?? NAME.exec(rest) ?? OPERATOR.exec(rest);
      if (!match) throw new Error(`a character Lua does not read at ${at}: ${JSON.stringify(c)}`);
      length = match[0].length;
    }
    tokens.push({ text: lua.slice(at, at + length), newline });
    newline = false;
    at += length;
  }
  return tokens;
}

/** Whether `a` then `b`, written together, would read as other tokens than these two. */
function needsSpace(a, b) {
  const last = a[a.length - 1];
  const first = b[0];
  if (WORD.test(last) && WORD.test(first)) return true;
  // `- -x` is not a comment; `1 ..x` is not a malformed number; `[ [` and `[ =` open no long bracket.
  if (last === '-' && first === '-') return true;
  if (last === '.' && (first === '.' || /\d/.test(first))) return true;
  if (/\d/.test(last) && first === '.') return true;
  if (last === '[' && (first === '[' || first === '=')) return true;
  return /[=<>~]/.test(last) && first === '=';
}

/** `lua` compacted (see above). A newline stays before a `(` that began a line (Lua 5.1's ambiguity check). */
export function compactLua(lua) {
  let out = '';
  let previous = null;
  for (const token of luaTokens(lua)) {
    if (previous !== null) {
      if (token.newline && token.text === '(') out += '\n';
      else if (needsSpace(previous, token.text)) out += token.newline ? '\n' : ' ';
    }
    out += token.text;
    previous = token.text;
  }
  return out;
}
