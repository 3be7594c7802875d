package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// routedInterfaces are the interfaces whose every method (but Connected,
// which the KV answers) must travel to the owner.
var routedInterfaces = []reflect.Type{
	reflect.TypeFor[charging.Commander](),
	reflect.TypeFor[charging.StationCommander](),
	reflect.TypeFor[charging.StationMaintenance](),
	reflect.TypeFor[charging.SecurityCommander](),
	reflect.TypeFor[charging.TransactionStatusAsker](),
	reflect.TypeFor[interface {
		Disconnect(chargerID, reason string) bool
	}](),
}

// TestEveryMethodRouted calls every method of the interfaces on node A for
// a charger B holds, with every argument field filled, and checks that B's
// gateway got exactly that call with equal arguments, that A got B's
// answer, equal to the last field, and that B's errors keep their code
// and message.
func TestEveryMethodRouted(t *testing.T) {
	c := newCluster(t, "A", "B")
	a, fa, fb := c.routers[0], c.fakes[0], c.fakes[1]
	c.claim(1, "CP-R")

	ctxType := reflect.TypeFor[context.Context]()
	errType := reflect.TypeFor[error]()
	seen := map[string]bool{}
	for _, iface := range routedInterfaces {
		for i := range iface.NumMethod() {
			m := iface.Method(i)
			if m.Name == "Connected" || seen[m.Name] {
				continue
			}
			seen[m.Name] = true
			t.Run(m.Name, func(t *testing.T) {
				if _, ok := dispatch[m.Name]; !ok {
					t.Fatalf("%s has no entry in the dispatch table", m.Name)
				}
				rm := reflect.ValueOf(a).MethodByName(m.Name)
				if !rm.IsValid() || rm.Type() != m.Type {
					t.Fatalf("*Router has no method %s%s", m.Name, m.Type)
				}
				// Arguments: ctx, the charger id, then filled values.
				var in []reflect.Value
				var want []any
				n := 1
				for j := range m.Type.NumIn() {
					pt := m.Type.In(j)
					switch {
					case pt == ctxType:
						in = append(in, reflect.ValueOf(context.Background()))
					case len(in) == 0 || len(in) == 1 && m.Type.In(0) == ctxType:
						in = append(in, reflect.ValueOf("CP-R"))
					default:
						v := fill(pt, &n)
						in = append(in, v)
						want = append(want, v.Interface())
					}
				}
				// The answer: the first result, filled, unless it is the error.
				var answer any
				var resType reflect.Type
				if out := m.Type.Out(0); out != errType {
					resType = out
					answer = fill(out, &n).Interface()
				}
				fb.setAnswer(func(_ context.Context, method, _ string, _ []any) (any, error) {
					if method != m.Name {
						return nil, fmt.Errorf("answer for %s asked by %s", m.Name, method)
					}
					return answer, nil
				})
				before := len(fb.callsOf(m.Name))
				out := rm.Call(in)
				if last := out[len(out)-1]; last.Type() == errType && !last.IsNil() {
					t.Fatalf("%s: %v", m.Name, last.Interface())
				}
				calls := fb.callsOf(m.Name)
				if len(calls)-before != 1 {
					t.Fatalf("B's gateway got %d %s calls, want 1", len(calls)-before, m.Name)
				}
				if got := calls[len(calls)-1]; got.ChargerID != "CP-R" || !reflect.DeepEqual(got.Args, want) {
					t.Fatalf("B's gateway got %s(%s, %#v), want (CP-R, %#v)", m.Name, got.ChargerID, got.Args, want)
				}
				if resType != nil && !reflect.DeepEqual(out[0].Interface(), answer) {
					t.Fatalf("A got %#v, want B's %#v", out[0].Interface(), answer)
				}
				if n := len(fa.callsOf(m.Name)); n != 0 {
					t.Fatalf("A's own gateway got %d %s calls", n, m.Name)
				}

				if out[len(out)-1].Type() != errType {
					return // Disconnect has no error
				}
				wantErr := charging.Errorf(charging.ECONFLICT, "no %s for you", m.Name)
				fb.setAnswer(func(context.Context, string, string, []any) (any, error) { return nil, wantErr })
				out = rm.Call(in)
				err, _ := out[len(out)-1].Interface().(error)
				var ce *charging.Error
				if !errors.As(err, &ce) || *ce != *wantErr {
					t.Fatalf("%s error = %v, want %v", m.Name, err, wantErr)
				}
			})
		}
	}
	fb.setAnswer(nil)
	// And nothing more: every entry of the table is a method of the interfaces.
	for name := range dispatch {
		if !seen[name] {
			t.Errorf("dispatch has %s, which no routed interface has", name)
		}
	}
}

var (
	rawType  = reflect.TypeFor[json.RawMessage]()
	timeType = reflect.TypeFor[time.Time]()
)

// fill returns a value of type t with every exported field, pointer and
// slice element set to distinct non-zero values.
func fill(t reflect.Type, n *int) reflect.Value {
	*n++
	v := reflect.New(t).Elem()
	switch {
	case t == rawType:
		v.SetBytes([]byte(fmt.Sprintf(`{"n":%d}`, *n)))
		return v
	case t == timeType:
		v.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, *n*1000, time.UTC)))
		return v
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		p.Elem().Set(fill(t.Elem(), n))
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(t, 2, 2)
		for i := range 2 {
			s.Index(i).Set(fill(t.Elem(), n))
		}
		v.Set(s)
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				v.Field(i).Set(fill(f.Type, n))
			}
		}
	default:
		panic("fill: unsupported type " + t.String())
	}
	return v
}
