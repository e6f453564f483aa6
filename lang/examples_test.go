package lang

import (
	"os"
	"path/filepath"
	"testing"
)

// exampleStatus records, for each design example, what this version of the
// checker says: "" when it loads cleanly, otherwise the errors, all E401
// (built-ins, std models and indexing not implemented yet). Every example
// must parse.
var exampleStatus = map[string]string{
	"gcn.nn": "",
	"char_lstm.nn": `char_lstm.nn:5:16: nn.Embedding is not in the standard library yet
char_lstm.nn:6:16: nn.LSTM is not in the standard library yet`,
	"lenet.nn": `lenet.nn:5:14: nn.Conv2D is not in the standard library yet
lenet.nn:6:14: nn.Conv2D is not in the standard library yet
lenet.nn:11:13: built-in max_pool2d is not supported yet
lenet.nn:12:13: built-in max_pool2d is not supported yet
lenet.nn:13:29: built-in flatten is not supported yet`,
	"matrix_factorization.nn": `matrix_factorization.nn:5:13: nn.Embedding is not in the standard library yet
matrix_factorization.nn:6:13: nn.Embedding is not in the standard library yet
matrix_factorization.nn:7:13: nn.Embedding is not in the standard library yet
matrix_factorization.nn:8:13: nn.Embedding is not in the standard library yet
matrix_factorization.nn:13:22: built-in squeeze is not supported yet
matrix_factorization.nn:13:49: built-in squeeze is not supported yet
matrix_factorization.nn:17:16: built-in mse is not supported yet`,
	"tiny_gpt.nn": `tiny_gpt.nn:5:17: nn.Embedding is not in the standard library yet
tiny_gpt.nn:7:18: nn.TransformerBlock is not in the standard library yet
tiny_gpt.nn:8:17: nn.LayerNorm is not in the standard library yet
tiny_gpt.nn:12:27: indexing and slicing tensors is not supported yet`,
}

func TestExamples(t *testing.T) {
	files, err := filepath.Glob("testdata/examples/*.nn")
	if err != nil || len(files) != len(exampleStatus) {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		if _, err := Parse(name, src); err != nil {
			t.Errorf("%s does not parse: %v", name, err)
			continue
		}
		_, err = Load(name, src)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if want := exampleStatus[name]; got != want {
			t.Errorf("%s: got\n%s\nwant\n%s", name, got, want)
		}
		if list, ok := err.(ErrorList); ok {
			for _, e := range list {
				if e.Code != CodeUnsupported {
					t.Errorf("%s: %v has code %s; only unsupported features may stop an example", name, e, e.Code)
				}
			}
		}
	}
}
