package ops

import "testing"

func TestDimNormalForm(t *testing.T) {
	n, d, B := DimVar("n"), DimVar("d"), DimVar("B")
	one, two := DimConst(1), DimConst(2)
	if n.Add(one) != one.Add(n) {
		t.Errorf("n+1 != 1+n: %v vs %v", n.Add(one), one.Add(n))
	}
	q, err := two.Mul(d).Div(two)
	if err != nil || q != d {
		t.Errorf("2*d/2 = %v, %v; want d", q, err)
	}
	if got := B.Mul(d).Add(two.Mul(B)).String(); got != "B*d + 2*B" {
		t.Errorf("String = %q", got)
	}
	half, _ := n.Add(one).Div(two)
	v, err := half.Mul(B).Eval(map[string]int64{"n": 6, "B": 4})
	if err != nil || v != 12 {
		t.Errorf("((n+1)/2)*B at n=6, B=4 = %d, %v; want 12", v, err)
	}
	if s := n.Sub(n); s != DimConst(0) {
		t.Errorf("n-n = %v", s)
	}
	if got := n.Mul(d).Subst(map[string]Dim{"n": DimConst(3)}); got != DimConst(3).Mul(d) {
		t.Errorf("Subst = %v", got)
	}
}

func TestBroadcastShapes(t *testing.T) {
	B := DimVar("B")
	s, err := BroadcastShapes(Shape{B, DimConst(1)}, ShapeOf(10))
	if err != nil || !s.Equal(Shape{B, DimConst(10)}) {
		t.Fatalf("got %v, %v", s, err)
	}
	if _, err := BroadcastShapes(Shape{B}, ShapeOf(3)); err == nil {
		t.Fatal("B against 3 broadcast")
	}
}
