/**
 * Just enough OData `$filter` for calendar work: comparisons (eq ne gt ge lt le) of property paths
 * with literals, `and` / `or` / `not`, parentheses and `collection/any(x: …)` lambdas, e.g.
 *   singleValueExtendedProperties/Any(ep: ep/id eq 'String {guid} Name blockId' and ep/value eq '42')
 * Anything else is a FilterError, which Graph answers as 400 "Invalid filter clause".
 */

export class FilterError extends Error {}

type Literal = string | number | boolean | null;

type Node =
  | { type: 'and' | 'or'; left: Node; right: Node }
  | { type: 'not'; operand: Node }
  | { type: 'cmp'; op: string; left: Operand; right: Operand }
  | { type: 'any'; path: string[]; variable: string; body: Node };

type Operand = { kind: 'path'; path: string[] } | { kind: 'literal'; value: Literal };

interface Token {
  kind: 'ident' | 'string' | 'number' | 'punct';
  text: string;
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= input.length) throw new FilterError('Unterminated string literal');
        if (input[i] === "'") {
          if (input[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += input[i++];
      }
      tokens.push({ kind: 'string', text });
    } else if ('()/:,'.includes(c)) {
      tokens.push({ kind: 'punct', text: c });
      i++;
    } else if (/[0-9-]/.test(c)) {
      const match = /^-?\d+(\.\d+)?/.exec(input.slice(i));
      if (!match) throw new FilterError(`Unexpected '${c}'`);
      tokens.push({ kind: 'number', text: match[0] });
      i += match[0].length;
    } else if (/[A-Za-z_@]/.test(c)) {
      const match = /^[A-Za-z_@][A-Za-z0-9_.@]*/.exec(input.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'ident', text: match[0] });
      i += match[0].length;
    } else {
      throw new FilterError(`Unexpected '${c}'`);
    }
  }
  return tokens;
}

const COMPARISONS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Node {
    const node = this.or();
    if (this.position !== this.tokens.length) {
      throw new FilterError(`Unexpected '${this.tokens[this.position].text}'`);
    }
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private keyword(word: string): boolean {
    const token = this.peek();
    if (token?.kind === 'ident' && token.text.toLowerCase() === word) {
      this.position++;
      return true;
    }
    return false;
  }

  private expect(text: string): void {
    const token = this.tokens[this.position++];
    if (!token || token.text !== text) throw new FilterError(`Expected '${text}'`);
  }

  private or(): Node {
    let left = this.and();
    while (this.keyword('or')) left = { type: 'or', left, right: this.and() };
    return left;
  }

  private and(): Node {
    let left = this.unary();
    while (this.keyword('and')) left = { type: 'and', left, right: this.unary() };
    return left;
  }

  private unary(): Node {
    if (this.keyword('not')) return { type: 'not', operand: this.unary() };
    const token = this.peek();
    if (token?.kind === 'punct' && token.text === '(') {
      this.position++;
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    // A path, possibly ending in /any( … ), or the left side of a comparison.
    if (token?.kind === 'ident') {
      const path = this.path();
      const last = path[path.length - 1].toLowerCase();
      if (last === 'any' && this.peek()?.text === '(') {
        this.position++;
        const variable = this.tokens[this.position++];
        if (variable?.kind !== 'ident') throw new FilterError('Expected a lambda variable');
        this.expect(':');
        const body = this.or();
        this.expect(')');
        return { type: 'any', path: path.slice(0, -1), variable: variable.text, body };
      }
      return this.comparison({ kind: 'path', path });
    }
    return this.comparison(this.operand());
  }

  private comparison(left: Operand): Node {
    const op = this.peek();
    if (op?.kind !== 'ident' || !COMPARISONS.has(op.text.toLowerCase())) {
      throw new FilterError('Expected a comparison operator');
    }
    this.position++;
    return { type: 'cmp', op: op.text.toLowerCase(), left, right: this.operand() };
  }

  private path(): string[] {
    const segments = [this.tokens[this.position++].text];
    while (this.peek()?.text === '/' && this.tokens[this.position + 1]?.kind === 'ident') {
      this.position++;
      segments.push(this.tokens[this.position++].text);
    }
    return segments;
  }

  private operand(): Operand {
    const token = this.peek();
    if (!token) throw new FilterError('Unexpected end of filter');
    if (token.kind === 'string') {
      this.position++;
      return { kind: 'literal', value: token.text };
    }
    if (token.kind === 'number') {
      this.position++;
      return { kind: 'literal', value: Number(token.text) };
    }
    if (token.kind === 'ident') {
      const word = token.text.toLowerCase();
      if (word === 'true' || word === 'false' || word === 'null') {
        this.position++;
        return { kind: 'literal', value: word === 'null' ? null : word === 'true' };
      }
      return { kind: 'path', path: this.path() };
    }
    throw new FilterError(`Unexpected '${token.text}'`);
  }
}

export interface CompiledFilter {
  matches(item: Record<string, unknown>): boolean;
}

/**
 * `normalize(collection, field, value)` lets the caller compare some values canonically (e.g.
 * extended property ids, whose GUID part is case-insensitive).
 */
export function compileFilter(
  text: string,
  normalize: (collection: string | undefined, field: string, value: Literal) => Literal = (
    _c,
    _f,
    value,
  ) => value,
): CompiledFilter {
  const tree = new Parser(tokenize(text)).parse();

  interface Scope {
    vars: Map<string, { value: unknown; collection: string }>;
    root: Record<string, unknown>;
  }

  const resolve = (path: string[], scope: Scope): { value: unknown; collection?: string } => {
    let current: unknown;
    let rest = path;
    let collection: string | undefined;
    const bound = scope.vars.get(path[0]);
    if (bound) {
      current = bound.value;
      collection = bound.collection;
      rest = path.slice(1);
    } else {
      current = scope.root;
    }
    for (const segment of rest) {
      if (current === null || typeof current !== 'object') return { value: undefined, collection };
      const record = current as Record<string, unknown>;
      const key = Object.keys(record).find((k) => k.toLowerCase() === segment.toLowerCase());
      current = key === undefined ? undefined : record[key];
    }
    return { value: current, collection };
  };

  const operandValue = (operand: Operand, scope: Scope): Literal => {
    if (operand.kind === 'literal') return operand.value;
    const { value, collection } = resolve(operand.path, scope);
    const literal = (value === undefined ? null : value) as Literal;
    return normalize(collection, operand.path[operand.path.length - 1], literal);
  };

  const evaluate = (node: Node, scope: Scope): boolean => {
    switch (node.type) {
      case 'and':
        return evaluate(node.left, scope) && evaluate(node.right, scope);
      case 'or':
        return evaluate(node.left, scope) || evaluate(node.right, scope);
      case 'not':
        return !evaluate(node.operand, scope);
      case 'any': {
        const collection = resolve(node.path, scope).value;
        if (!Array.isArray(collection)) return false;
        const name = node.path[node.path.length - 1];
        return collection.some((element) => {
          const vars = new Map(scope.vars);
          vars.set(node.variable, { value: element, collection: name });
          return evaluate(node.body, { vars, root: scope.root });
        });
      }
      case 'cmp': {
        let left = operandValue(node.left, scope);
        let right = operandValue(node.right, scope);
        // A literal compared with an extended property id is normalized the same way.
        if (node.left.kind === 'path' && node.right.kind === 'literal') {
          const { collection } = resolve(node.left.path, scope);
          right = normalize(collection, node.left.path[node.left.path.length - 1], right);
        } else if (node.right.kind === 'path' && node.left.kind === 'literal') {
          const { collection } = resolve(node.right.path, scope);
          left = normalize(collection, node.right.path[node.right.path.length - 1], left);
        }
        switch (node.op) {
          case 'eq':
            return left === right;
          case 'ne':
            return left !== right;
        }
        if (left === null || right === null) return false;
        switch (node.op) {
          case 'gt':
            return left > right;
          case 'ge':
            return left >= right;
          case 'lt':
            return left < right;
          default:
            return left <= right;
        }
      }
    }
  };

  return { matches: (item) => evaluate(tree, { vars: new Map(), root: item }) };
}
