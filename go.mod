module github.com/nnclang/nnc

go 1.26
