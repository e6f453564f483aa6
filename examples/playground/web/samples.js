// The playground's sample programs. The self-test (app.js) uses "shape
// error" and "tiny"; playground_test.go knows their lines.
export const samples = [
  {
    name: "digits classifier",
    text: `// digits.nn: classify 8x8 handwritten digits.
import "std/nn"

model Classifier(hidden: int = 128, p: float = 0.1) {
    l1   = nn.Dense(64, hidden)
    head = nn.Dense(hidden, 10)

    fn forward(x: f32[B, 64]) -> f32[B, 10] {
        h = dropout(relu(l1(x)), p)
        return head(h)
    }

    fn loss(x: f32[B, 64], y: i32[B]) -> f32 {
        return cross_entropy(forward(x), y) + 1e-4 * l2(params)
    }
}
`,
  },
  {
    name: "tiny",
    text: `// Small enough to count its graph by hand.
fn f(x: f32[B, 4], w: f32[4, 3]) -> f32[B, 3] {
    h = x @ w
    return relu(h)
}
`,
  },
  {
    name: "shape error",
    text: `// A shape error: the inner dimensions of the product differ.
fn f(x: f32[B, 4], w: f32[3, 5]) -> f32[B, 5] {
    h = relu(x)
    return h @ w
}
`,
  },
  {
    name: "attention block",
    text: `// One pre-norm transformer block over a sequence of T tokens.
import "std/nn"

model Block(d: int = 64, heads: int = 4) {
    ln1  = nn.LayerNorm(d)
    attn = nn.MultiHeadAttention(d, heads)
    ln2  = nn.LayerNorm(d)
    mlp  = nn.MLP(d, 4 * d, d)

    fn forward(x: f32[B, T, 64]) -> f32[B, T, 64] {
        h = x + attn(ln1(x))
        return h + mlp(ln2(h))
    }
}
`,
  },
];
