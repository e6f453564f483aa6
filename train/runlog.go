package train

import (
	"fmt"
	"math"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/nnclang/nnc/autodiff"
	"github.com/nnclang/nnc/data"
	"github.com/nnclang/nnc/ops"
	"github.com/nnclang/nnc/tensor"
)

// BuildGradNorms completes a graph of the forward pass of loss (lowered
// for training) into one that measures the gradients a training step would
// apply, and changes nothing: an output "loss", and per parameter an output
// GradSqOutput+PATH, the sum of the squares of its gradient (f64). The
// graph's updates (running statistics) are dropped. The loop runs it
// before a logged step on the same batch with the same seed (dropout draws
// the same masks), so the step itself is the one an unlogged run takes.
func BuildGradNorms(b *ops.Builder, loss *ops.Node, params []*ops.Node) error {
	if params == nil {
		params = b.G.Params()
	}
	if len(params) == 0 {
		return fmt.Errorf("train: the loss has no parameters")
	}
	grads, err := autodiff.Grad(b, loss, params)
	if err != nil {
		return err
	}
	b.G.Updates = nil
	if b.G.Output("loss") != loss {
		b.Output("loss", loss)
	}
	for i, p := range params {
		g := castTo(b, grads[i], ops.F64)
		b.Output(GradSqOutput+p.Name(), b.Must(ops.Sum, nil, b.Mul(g, g)))
	}
	return nil
}

// stepLog is what a logged step measures before it runs: the gradients'
// norms and copies of the parameters, for the update ratios.
type stepLog struct {
	gradNorm  float64
	gradNorms map[string]float64
	before    map[string]*tensor.Tensor
}

// beforeLogged measures the gradients' norms (with the gradient-norm
// graph, when there is one) and copies the parameters.
func (l *loop) beforeLogged(seed uint64, b *data.Batch) (*stepLog, error) {
	lg := &stepLog{before: make(map[string]*tensor.Tensor, len(l.paramNames))}
	for _, n := range l.paramNames {
		lg.before[n] = l.cfg.Store.Get(n).Clone()
	}
	if l.norms == nil {
		return lg, nil
	}
	out, err := l.norms.run(l.ctx, seed, b.Arrays)
	if err != nil {
		return nil, err
	}
	lg.gradNorms = map[string]float64{}
	var total float64
	for i, o := range l.norms.g.Outputs {
		if name, ok := strings.CutPrefix(o.Name, GradSqOutput); ok {
			sq := out[i].At(0)
			lg.gradNorms[name] = math.Sqrt(sq)
			total += sq
		}
	}
	lg.gradNorm = math.Sqrt(total)
	return lg, nil
}

// updateRatios returns ‖p - p₀‖/‖p₀‖ of every parameter (0 when neither
// changed nor was non-zero; +Inf when a zero parameter changed).
func (l *loop) updateRatios(before map[string]*tensor.Tensor) map[string]float64 {
	out := make(map[string]float64, len(before))
	for n, old := range before {
		cur := l.cfg.Store.Get(n)
		var d2, p2 float64
		for i := range old.Len() {
			a, b := old.At(i), cur.At(i)
			d2 += (b - a) * (b - a)
			p2 += a * a
		}
		switch {
		case p2 > 0:
			out[n] = math.Sqrt(d2) / math.Sqrt(p2)
		case d2 > 0:
			out[n] = math.Inf(1)
		default:
			out[n] = 0
		}
	}
	return out
}

// memoryBytes is the memory the process holds for Go objects and stacks.
func memoryBytes() int64 {
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	return int64(ms.HeapInuse + ms.StackInuse)
}

// writeStepLog writes a logged step's record; out are the step's
// outputs, whose gradient norms (Config.WarnGradNorm) serve when the
// gradient-norm graph did not run.
func (l *loop) writeStepLog(lg *stepLog, info StepInfo, took time.Duration, out []*tensor.Tensor) error {
	if lg.gradNorms == nil && len(l.num.norms) > 0 {
		lg.gradNorms = map[string]float64{}
		var total float64
		for _, i := range l.num.norms {
			sq := out[i].At(0)
			lg.gradNorms[strings.TrimPrefix(l.num.run.g.Outputs[i].Name, GradSqOutput)] = math.Sqrt(sq)
			total += sq
		}
		lg.gradNorm = math.Sqrt(total)
	}
	r := LogRecord{Kind: LogStep, Run: l.cfg.RunName, Epoch: info.Epoch, Step: int64(info.GlobalStep),
		Time: time.Since(l.start).Seconds(), Loss: info.Loss, LR: info.LR, Metrics: info.Metrics,
		GradNorm: lg.gradNorm, GradNorms: lg.gradNorms, UpdateRatios: l.updateRatios(lg.before),
		StepSeconds: took.Seconds(), Samples: int64(info.Samples), MemoryBytes: memoryBytes()}
	if err := l.cfg.Log.Write(r); err != nil {
		return fmt.Errorf("writing the training log: %w", err)
	}
	return nil
}

// writeEpochLog writes an epoch's record.
func (l *loop) writeEpochLog(st EpochStats) error {
	metrics := make(map[string]float64, len(st.Metrics))
	for k, v := range st.Metrics {
		if k != "train_loss" { // the record's loss
			metrics[k] = v
		}
	}
	r := LogRecord{Kind: LogEpoch, Run: l.cfg.RunName, Epoch: st.Epoch, Step: int64(l.res.Steps),
		Time: time.Since(l.start).Seconds(), Loss: st.Loss, LR: st.LR, Metrics: metrics,
		StepSeconds: st.Duration.Seconds(), Samples: int64(st.Samples), MemoryBytes: memoryBytes()}
	if err := l.cfg.Log.Write(r); err != nil {
		return fmt.Errorf("writing the training log: %w", err)
	}
	return nil
}
