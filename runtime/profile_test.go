package runtime

import (
	"math"
	"testing"

	"github.com/nnclang/nnc/tensor"
)

// profileInputs are the inputs of mlpGraph for a batch of 16.
func profileInputs() (*tensor.Tensor, *tensor.Tensor) {
	x, target := tensor.New(tensor.F32, 16, 6), tensor.New(tensor.F32, 16, 2)
	for i := range x.F32 {
		x.F32[i] = float32((i*7)%11)/11 - 0.5
	}
	for i := range target.F32 {
		target.F32[i] = float32(i % 2)
	}
	return x, target
}

// TestProfileChangesNoValue: training steps with a profile give bitwise the
// losses and params of steps without one, every kernel step gets a time,
// alias steps none, the runs are counted, a steady profiled run allocates
// nothing, and SetProfile(nil) stops the timing.
func TestProfileChangesNoValue(t *testing.T) {
	g := mlpGraph(t)
	x, target := profileInputs()
	run := func(pr *Profile) ([]float32, *Store) {
		store := NewStore()
		if err := InitParams(store, g, 5); err != nil {
			t.Fatal(err)
		}
		s := NewSession(g, store)
		s.SetProfile(pr)
		var losses []float32
		for range 5 {
			out, err := s.Run(0, x, target)
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, out[0].F32[0])
		}
		return losses, store
	}
	plain, ps := run(nil)
	pr := &Profile{}
	timed, ts := run(pr)
	for i := range plain {
		if math.Float32bits(plain[i]) != math.Float32bits(timed[i]) {
			t.Errorf("step %d: loss %v with the profile, %v without", i, timed[i], plain[i])
		}
	}
	for _, name := range []string{"l1.W", "l1.b", "l2.W"} {
		a, b := ps.Get(name), ts.Get(name)
		for i := range a.F32 {
			if math.Float32bits(a.F32[i]) != math.Float32bits(b.F32[i]) {
				t.Fatalf("%s[%d]: %v with the profile, %v without", name, i, b.F32[i], a.F32[i])
			}
		}
	}
	if pr.Runs != 5 || pr.Plan == nil || len(pr.Nanos) != len(pr.Plan.Steps) {
		t.Fatalf("profile: %d runs, plan %v, %d times", pr.Runs, pr.Plan != nil, len(pr.Nanos))
	}
	for i, st := range pr.Plan.Steps {
		if st.Alias != (pr.Nanos[i] == 0) {
			t.Errorf("step %d (%s, alias %v): %d ns", i, st.Node.Op.Name, st.Alias, pr.Nanos[i])
		}
	}

	store := NewStore()
	if err := InitParams(store, g, 5); err != nil {
		t.Fatal(err)
	}
	s := NewSession(g, store)
	pr = &Profile{}
	s.SetProfile(pr)
	if _, err := s.Run(0, x, target); err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(10, func() {
		if _, err := s.Run(0, x, target); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("a steady profiled run allocates %v times", allocs)
	}
	s.SetProfile(nil)
	before := append([]int64(nil), pr.Nanos...)
	if _, err := s.Run(0, x, target); err != nil {
		t.Fatal(err)
	}
	for i := range before {
		if pr.Nanos[i] != before[i] {
			t.Fatalf("step %d timed after SetProfile(nil)", i)
		}
	}
}

// BenchmarkProfileHook: the MLP training step of BenchmarkNumericsStep with
// no profile (off: the hook's cost is one nil check per step; compare with
// the commit before the hook in alternating rounds) and with one (on).
func BenchmarkProfileHook(b *testing.B) {
	g, store, in := mlpStep(b, false)
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			s := NewSession(g, store)
			if on {
				s.SetProfile(&Profile{})
			}
			if _, err := s.Run(0, in...); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := s.Run(0, in...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
