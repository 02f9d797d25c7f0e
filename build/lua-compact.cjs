// The Lua of the scripts as it ships: without what Redis does not need to run it (comments, and the
// whitespace between tokens but where two tokens would otherwise read as one). Strings, long
// strings and every token are kept as written: `luaTokens(compactLua(lua))` equals `luaTokens(lua)`,
// which tests/unit/lua-compact.test.ts checks for every script. The esbuild plugin
// (build/lambda-bundle.mjs `compactLua`) and the functions tests' transform
// (tests/support/lua-transform.cjs) both compact with `compactLuaTemplates`, so the tests that run
// the scripts against the datastore run them as they ship.
//
// The lexer is Lua 5.1's (Redis's): names, numbers, quoted and long strings, comments, operators.
const ts = require('typescript');

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
function luaTokens(lua) {
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
    const level = c === '[' ? longBracket(lua, at) : -1;
    if (c === '"' || c === "'") {
      let i = at + 1;
      while (i < lua.length && lua[i] !== c) {
        if (lua[i] === '\n') throw new Error(`an unfinished string at ${at}`);
        i += lua[i] === '\\' ? 2 : 1;
      }
      if (i >= lua.length) throw new Error(`an unfinished string at ${at}`);
      length = i + 1 - at;
    } else if (level >= 0) {
      length = longBracketEnd(lua, at, level) - at;
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
function compactLua(lua) {
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

/** The files whose template literals may hold Lua: the scripts, the shared helpers, the prelude. */
const LUA_FILE =
  /[\\/]lib[\\/](?:[\w-]+[\\/])?(?:[\w-]*scripts|lua|lua-helpers|identity-cleanup|fixed-window)\.ts$/;

/** A Lua fragment's parts: a shebang line (`#!lua flags=…`) or the newline it opens with, its Lua, its last newline. */
const FRAGMENT = /^(#![^\n]*\n|\n)([\s\S]*?)(\n?)$/;

/** Whether a template literal's text is a Lua fragment: it opens a line, reads as Lua and has a statement. */
function isLua(text) {
  const lua = FRAGMENT.exec(text)?.[2];
  if (lua === undefined) return false;
  try {
    return luaTokens(lua).some((token) => /^(?:local|return|end|if|for|function|redis)$/.test(token.text));
  } catch {
    return false;
  }
}

/** A fragment compacted, its first line (a shebang, a newline) and its last newline kept: scripts join fragments. */
function compactFragment(text) {
  const [, opening, lua, closing] = FRAGMENT.exec(text);
  return `${opening}${compactLua(lua)}${closing}`;
}

/**
 * `source` (a TypeScript file) with every template literal that holds a Lua fragment (no `${}`)
 * replaced by a string literal of its compacted Lua; anything else as it was. `compacted` lists
 * each fragment's text before and after.
 */
function compactLuaTemplates(source, fileName) {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const edits = [];
  const visit = (node) => {
    if (ts.isNoSubstitutionTemplateLiteral(node) && isLua(node.text))
      edits.push({ start: node.getStart(file), end: node.getEnd(), lua: node.text });
    ts.forEachChild(node, visit);
  };
  visit(file);
  let code = source;
  const compacted = [];
  for (const edit of edits.reverse()) {
    const lua = compactFragment(edit.lua);
    compacted.unshift({ before: edit.lua, after: lua });
    code = `${code.slice(0, edit.start)}${JSON.stringify(lua)}${code.slice(edit.end)}`;
  }
  return { code, compacted };
}

module.exports = { LUA_FILE, compactLua, compactLuaTemplates, luaTokens };
