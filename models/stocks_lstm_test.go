package models

import (
	"testing"

	"github.com/nnclang/nnc"
)

// TestStocksLSTM trains stocks_lstm.nn as its train block says (the data
// is 300 training windows, so the whole run takes about a second) with
// seed 0 and requires a validation RMSE of at most 9.5 and a test RMSE of
// at most 12.0 (percent log return). PyTorch's same model, data and
// training (torch/stocks_lstm.py, torch/stocks_lstm.json) reaches
// validation 9.06 to 9.25 and test 11.10 to 11.54 over seeds 0-4; the
// naive forecast (no change) has validation 9.73 and test 11.12, the
// three-month moving average 13.28 and 15.85. The validation bound is
// below naive's: the model learned something on the months it chose by;
// the test bound is not, since on the test months neither PyTorch's
// model nor this one beats naive.
func TestStocksLSTM(t *testing.T) {
	p, err := nnc.CompileFile("stocks_lstm.nn")
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Train(nnc.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v, te := res.Metrics["val_rmse"], res.Metrics["test_rmse"]
	t.Logf("validation RMSE %.4f, test RMSE %.4f", v, te)
	if v > 9.5 {
		t.Errorf("validation RMSE %.4f > 9.5", v)
	}
	if te > 12.0 {
		t.Errorf("test RMSE %.4f > 12.0", te)
	}
}

// TestStocksLSTMFull trains stocks_lstm.nn over seeds 0-4 (nnc train
// stocks_lstm.nn --seeds 5) and requires a mean test RMSE of at most 11.7:
// PyTorch's 11.27 ± 0.17 over the same seeds plus 2.5 standard deviations.
// Run with NNC_FULL=1 (a few seconds).
func TestStocksLSTMFull(t *testing.T) {
	fullRun(t, false)
	p, err := nnc.CompileFile("stocks_lstm.nn")
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Train(nnc.TrainOptions{Seeds: 5})
	if err != nil {
		t.Fatal(err)
	}
	st := res.Spread["test_rmse"]
	t.Logf("test RMSE %.4f ± %.4f (min %.4f, max %.4f)", st.Mean, st.Std, st.Min, st.Max)
	if st.Mean > 11.7 {
		t.Errorf("mean test RMSE %.4f > 11.7", st.Mean)
	}
}
