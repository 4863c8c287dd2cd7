// Pure: the engine's equations as data (docs/CELLS.md, "The expression language") evaluated in
// float64 and written out, for any cell variant. An expression is a name ("x", "h_prev", a name
// an earlier equation defines), a number, or [op, ...args] with op one of + - * sigmoid tanh dot
// bias option. Evaluation is per unit and lazy (each defined name's units are computed once, when
// first read), so the math panel pays for the one unit it explains, plus what that unit reads:
// every unit of r for TF1's GRU, whose candidate reads (r ⊙ h_prev)·U.

const ACTIVATIONS = { sigmoid: (v) => 1 / (1 + Math.exp(-v)), tanh: Math.tanh };
const SYMBOLS = { sigmoid: 'σ', tanh: 'tanh' };
const MATRICES = { kernel: 'W', recurrent_kernel: 'U' };

const isOp = (expr, ...ops) => Array.isArray(expr) && ops.includes(expr[0]);

/** Whether an expression is an activation of something (σ(·), tanh(·)). */
export const isActivation = (expr) => isOp(expr, ...Object.keys(ACTIVATIONS));

/** The terms the math panel writes on lines of their own: dot products, biases, options. */
const isTerm = (expr) => isOp(expr, 'dot', 'bias', 'option');

/** Whether an expression has a term below it (a dot's own vector not counted: a dot is one term). */
function hasTerm(expr) {
  if (!Array.isArray(expr)) return false;
  return isTerm(expr) || expr.slice(1).some(hasTerm);
}

/**
 * The evaluator of one step of `variant` ({states, gates, blocks, equations}) at float64: `x` the
 * layer's input [D], `prev` the state before the step ({h: [H], c: [H], ...}), `weights`
 * {kernel [D][G·H], recurrent_kernel [H][G·H], bias [G·H] or [rows][G·H]}, `options` the request's
 * options ({forget_bias}). Returns {at(expr, u), value(name, u), length(expr), weight(matrix, j, k,
 * u), H}: an expression's or a name's value at unit u (index u of x for "x"), how many entries an
 * expression has (D or H), a weight. A name no equation defines throws a RangeError.
 */
export function evaluator(variant, { x, prev, weights, options = {} }) {
  const H = prev[variant.states[0]].length;
  const defined = Object.fromEntries(variant.equations.map((e) => [e.name, e.value]));
  const rows = Array.isArray(weights.bias[0]) ? weights.bias : [weights.bias];
  const memo = Object.fromEntries(Object.keys(defined).map((name) => [name, new Map()]));

  function value(name, u) {
    if (name === 'x') return x[u];
    if (name.endsWith('_prev') && prev[name.slice(0, -5)]) return prev[name.slice(0, -5)][u];
    if (!defined[name]) throw new RangeError(name);
    if (!memo[name].has(u)) memo[name].set(u, at(defined[name], u));
    return memo[name].get(u);
  }

  /** How many entries an expression has: D when it reads x outside a dot product, else H. */
  const length = (expr) => {
    if (expr === 'x') return x.length;
    if (!Array.isArray(expr) || isTerm(expr)) return H;
    return Math.max(...expr.slice(1).map(length));
  };

  /** Row j of block k of a weight matrix at unit u: M[j][k·H + u]. */
  const weight = (matrix, j, k, u) => weights[matrix][j][k * H + u];

  function at(expr, u) {
    if (typeof expr === 'number') return expr;
    if (typeof expr === 'string') return value(expr, u);
    const [op, ...args] = expr;
    if (op === '+') return args.reduce((sum, a) => sum + at(a, u), 0);
    if (op === '-') return at(args[0], u) - at(args[1], u);
    if (op === '*') return at(args[0], u) * at(args[1], u);
    if (op === 'dot') {
      const [vector, matrix, k] = args;
      let sum = 0;
      for (let j = 0; j < length(vector); j += 1) sum += at(vector, j) * weight(matrix, j, k, u);
      return sum;
    }
    if (op === 'bias') return rows[args[0]][args[1] * H + u];
    if (op === 'option') return options[args[0]];
    if (ACTIVATIONS[op]) return ACTIVATIONS[op](at(args[0], u));
    throw new RangeError(op);
  }

  return { at, value, length, weight, H };
}

/** A block's subscript: "_i" (its gate's name, or its index), none for a one-block cell. */
const subscript = (variant, k) => (variant.blocks > 1 ? `_${variant.gates[k] ?? k}` : '');

/** A name as the panel writes it: a state this step computes is "h_t", "c_t"; anything else as named. */
export const nameText = (variant, name) => (variant.states.includes(name) ? `${name}_t` : name);

/**
 * An expression in the panel's notation: "σ(x·W_i + h_prev·U_i + b_i)", "f⊙c_prev + i⊙g",
 * "tanh(x·W_n + (r⊙h_prev)·U_n + b_n)", "z⊙h_prev + (1−z)⊙n"; b' is the recurrent bias row.
 */
export function notation(variant, expr) {
  const write = (e) => notation(variant, e);
  const operand = (e) => (isOp(e, '+', '-', '*') ? `(${write(e)})` : write(e));
  if (typeof expr === 'number') return String(expr);
  if (typeof expr === 'string') return nameText(variant, expr);
  const [op, ...args] = expr;
  if (op === '+') return args.map(write).join(' + ');
  if (op === '-') return `${operand(args[0])}−${operand(args[1])}`;
  if (op === '*') return args.map((a) => (isOp(a, '+', '-') ? `(${write(a)})` : write(a))).join('⊙');
  if (op === 'dot') return `${operand(args[0])}·${MATRICES[args[1]]}${subscript(variant, args[2])}`;
  if (op === 'bias') return `${args[0] ? "b'" : 'b'}${subscript(variant, args[1])}`;
  if (op === 'option') return args[0];
  return `${SYMBOLS[op]}(${write(args[0])})`;
}

/** An expression's structure with its block indices left out: two gates of one form have the same shape. */
export function shape(expr) {
  if (!Array.isArray(expr)) return JSON.stringify(expr);
  const [op, ...args] = expr;
  if (op === 'dot') return `dot(${shape(args[0])},${args[1]})`;
  if (op === 'bias') return `bias(${args[0]})`;
  return `${op}(${args.map(shape).join(',')})`;
}

/** The sub-expressions of expansions(), repeats included. */
function written(expr) {
  if (!Array.isArray(expr)) return [];
  if (isTerm(expr)) return [expr];
  const inner = expr.slice(1).flatMap(written);
  return isOp(expr, '*') && hasTerm(expr) ? [...inner, expr] : inner;
}

/**
 * The sub-expressions of `expr` the panel writes on a line of their own, inner ones first, each
 * once: every term (dot product, bias, option) and every product with a term below it
 * (r⊙(h_prev·U_n + b'_n)).
 */
export function expansions(expr) {
  const seen = new Set();
  return written(expr).filter((e) => !seen.has(JSON.stringify(e)) && seen.add(JSON.stringify(e)));
}

/**
 * An expression with the numbers of unit u one level down (`fmt(v, paren)` writes a number): a
 * sum's terms and a product's factors as their values ("0.5×(-0.1) + 0.4×0.2"), an activation of a
 * sum with its terms then its total ("σ(0.1 + (-0.2)) = σ(-0.1)"). Terms and products written on
 * lines of their own (expansions) appear as their values.
 */
export function numeric(variant, ev, expr, u, fmt) {
  const value = (e) => fmt(ev.at(e, u), true);
  const factor = (e) => {
    if (isOp(e, '+')) return `(${numeric(variant, ev, e, u, fmt)})`;
    if (isActivation(e)) return `${SYMBOLS[e[0]]}(${fmt(ev.at(e[1], u))})`;
    return value(e);
  };
  if (isOp(expr, '+')) return expr.slice(1).map((e) => (isOp(e, '*') && !hasTerm(e) ? numeric(variant, ev, e, u, fmt) : value(e))).join(' + ');
  if (isOp(expr, '*')) return expr.slice(1).map(factor).join('×');
  if (isOp(expr, '-')) return expr.slice(1).map(factor).join(' − ');
  if (isActivation(expr)) {
    const [op, arg] = expr;
    const total = `${SYMBOLS[op]}(${fmt(ev.at(arg, u))})`;
    return isOp(arg, '+') ? `${SYMBOLS[op]}(${numeric(variant, ev, arg, u, fmt)}) = ${total}` : total;
  }
  return value(expr);
}

/**
 * One term of unit u written out: "x·W_i[:,0] = 1.0000×0.2000 + … = 0.2000", "b_i[0] = 0.1000",
 * "forget_bias = 1.0000", or a product "r⊙(h_prev·U_n + b'_n) = 0.5000×(0.1000 + 0.2000) = 0.1500".
 * A dot product's terms are `items(n, k => text)` (which elides long ones).
 */
export function expansion(variant, ev, expr, u, fmt, items) {
  const total = fmt(ev.at(expr, u));
  const [op, ...args] = expr;
  if (op === 'dot') {
    const [vector, matrix, k] = args;
    const term = (j) => `${fmt(ev.at(vector, j), true)}×${fmt(ev.weight(matrix, j, k, u), true)}`;
    return `${notation(variant, expr)}[:,${u}] = ${items(ev.length(vector), term).join(' + ')} = ${total}`;
  }
  if (op === 'bias') return `${notation(variant, expr)}[${u}] = ${total}`;
  if (op === 'option') return `${args[0]} = ${total}`;
  return `${notation(variant, expr)} = ${numeric(variant, ev, expr, u, fmt)} = ${total}`;
}
