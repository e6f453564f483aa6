package train

import "testing"

// TestShardRows: the shards of a batch are contiguous, in rank order,
// cover it, and the first g mod n have one row more than the others.
func TestShardRows(t *testing.T) {
	for g := 0; g <= 40; g++ {
		for n := 1; n <= 7; n++ {
			next := 0
			for r := range n {
				lo, hi := ShardRows(g, n, r)
				want := g / n
				if r < g%n {
					want++
				}
				if lo != next || hi-lo != want {
					t.Fatalf("ShardRows(%d, %d, %d) = [%d, %d), want [%d, %d)", g, n, r, lo, hi, next, next+want)
				}
				next = hi
			}
			if next != g {
				t.Fatalf("the %d shards of %d rows end at %d", n, g, next)
			}
		}
	}
	if lo, hi := ShardRows(31, 3, 2); lo != 21 || hi != 31 {
		t.Errorf("ShardRows(31, 3, 2) = [%d, %d), want [21, 31)", lo, hi)
	}
	if ShardSeed(5, 0) != 5 || ShardSeed(5, 1) == ShardSeed(5, 2) {
		t.Error("ShardSeed: shard 0 keeps the step's seed, the others differ")
	}
}
