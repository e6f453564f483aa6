package data

import (
	"fmt"
	"strconv"
	"strings"
)

// parsePyDict reads the Python dict literal of a .npy header: string keys;
// values that are strings, True/False, or tuples of integers (returned as
// string, bool and []int).
func parsePyDict(s string) (map[string]any, error) {
	p := &pyParser{s: s}
	p.space()
	if !p.eat('{') {
		return nil, fmt.Errorf("expected '{' at column %d", p.i+1)
	}
	out := map[string]any{}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.space()
		if !p.eat(':') {
			return nil, fmt.Errorf("expected ':' at column %d", p.i+1)
		}
		p.space()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out[key] = v
		p.space()
		if p.eat('}') {
			break
		}
		if !p.eat(',') {
			return nil, fmt.Errorf("expected ',' or '}' at column %d", p.i+1)
		}
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected text after the dict at column %d", p.i+1)
	}
	return out, nil
}

type pyParser struct {
	s string
	i int
}

func (p *pyParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\n\r", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) str() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", fmt.Errorf("expected a string at column %d", p.i+1)
	}
	q := p.s[p.i]
	j := strings.IndexByte(p.s[p.i+1:], q)
	if j < 0 {
		return "", fmt.Errorf("unterminated string at column %d", p.i+1)
	}
	v := p.s[p.i+1 : p.i+1+j]
	p.i += j + 2
	return v, nil
}

func (p *pyParser) value() (any, error) {
	switch {
	case p.i >= len(p.s):
		return nil, fmt.Errorf("expected a value at the end")
	case p.s[p.i] == '\'' || p.s[p.i] == '"':
		return p.str()
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	case p.s[p.i] == '(':
		p.i++
		dims := []int{}
		for {
			p.space()
			if p.eat(')') {
				return dims, nil
			}
			j := p.i
			for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
				p.i++
			}
			// NumPy may write Python 2 longs as "3L".
			d, err := strconv.Atoi(p.s[j:p.i])
			if err != nil {
				return nil, fmt.Errorf("expected an integer at column %d", j+1)
			}
			p.eat('L')
			dims = append(dims, d)
			p.space()
			if p.eat(')') {
				return dims, nil
			}
			if !p.eat(',') {
				return nil, fmt.Errorf("expected ',' or ')' at column %d", p.i+1)
			}
		}
	}
	return nil, fmt.Errorf("unsupported value at column %d", p.i+1)
}
