# ruff: noqa: E501  (golden strings from Go are kept on one line each)
"""gotemplate against Go's text/template.

The expected strings below were produced by real Go (1.19, text/template) executing each
template on DATA with docker/cli's function map (templates.basicFunctions), in a scratch
harness outside this repository.  Cases where scopebox deliberately differs from Go are at
the end, each with the reason.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervisor.format.gotemplate import TemplateError, compile, go_json, render

DATA: dict[str, object] = {
    "ID": "abc123",
    "Names": "web",
    "State": {"Status": "running", "Running": True, "ExitCode": 0, "Pid": 42, "Error": ""},
    "Labels": {"b": "2", "a": "1", "com.x": "y"},
    "Mounts": [{"Source": "/a", "Destination": "/b"}, {"Source": "/c", "Destination": "/d"}],
    "Args": ["sh", "-c", "echo hi"],
    "Empty": [],
    "EmptyMap": {},
    "Null": None,
    "F": 2.5,
    "Big": 123456789.0,
    "Small": 1e-05,
    "N": 7,
    "Neg": -3,
    "T": True,
    "Fa": False,
    "Html": "<a href='x'>&</a>",
    "Uni": "héllo ☃",
    "Nested": {"L": [1, [2, 3], {"k": None}]},
    "Config": {"Env": ["A=1", "B=2"], "Labels": {"x": "1"}, "Cmd": None, "Image": "busybox:latest"},
    "Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]},
}

GO_OUTPUT: list[tuple[str, str]] = [
    ("{{.ID}}", "abc123"),
    ("{{.State.Status}} {{.State.Running}} {{.State.ExitCode}}", "running true 0"),
    ("{{.Missing}}", "<no value>"),
    ("{{.Missing.Deeper}}", "<no value>"),
    ("{{.Null}}", "<no value>"),
    (
        "{{.}}",
        "map[Args:[sh -c echo hi] Big:1.23456789e+08 Config:map[Cmd:<nil> Env:[A=1 B=2] Image:busybox:latest Labels:map[x:1]] Empty:[] EmptyMap:map[] F:2.5 Fa:false Html:<a href='x'>&</a> ID:abc123 Labels:map[a:1 b:2 com.x:y] Mounts:[map[Destination:/b Source:/a] map[Destination:/d Source:/c]] N:7 Names:web Neg:-3 Nested:map[L:[1 [2 3] map[k:<nil>]]] Null:<nil> Ports:map[80/tcp:[map[HostIp:0.0.0.0 HostPort:8080]]] Small:1e-05 State:map[Error: ExitCode:0 Pid:42 Running:true Status:running] T:true Uni:héllo ☃]",
    ),
    ("{{.Labels}}", "map[a:1 b:2 com.x:y]"),
    ("{{.Mounts}}", "[map[Destination:/b Source:/a] map[Destination:/d Source:/c]]"),
    ("{{.Args}}", "[sh -c echo hi]"),
    ("{{.Empty}} {{.EmptyMap}}", "[] map[]"),
    ("{{.F}} {{.Big}} {{.Small}} {{.N}} {{.Neg}}", "2.5 1.23456789e+08 1e-05 7 -3"),
    ("{{.T}} {{.Fa}}", "true false"),
    ("{{json .Args}}", '["sh","-c","echo hi"]'),
    ("{{json .Html}}", "\"<a href='x'>&</a>\""),
    ("{{json .Uni}}", '"héllo ☃"'),
    ("{{json .Missing}}", "null"),
    ("{{json .Null}}", "null"),
    ("{{json .F}} {{json .Big}} {{json .Small}}", "2.5 123456789 0.00001"),
    ('{{index .Labels "a"}}', "1"),
    ("{{index .Args 1}}", "-c"),
    ("{{index .Nested.L 1 0}}", "2"),
    ("{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}", "/a:/b /c:/d "),
    ("{{range $i, $m := .Mounts}}{{$i}}={{$m.Source}},{{end}}", "0=/a,1=/c,"),
    ("{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}", "a=1;b=2;com.x=y;"),
    ("{{range $v := .Args}}[{{$v}}]{{end}}", "[sh][-c][echo hi]"),
    ("{{range .Empty}}x{{else}}empty{{end}}", "empty"),
    ("{{range .Missing}}x{{else}}none{{end}}", "none"),
    ("{{range .Null}}x{{else}}none{{end}}", "none"),
    ("{{if .State.Running}}up{{else}}down{{end}}", "up"),
    ('{{if eq .State.Status "running"}}R{{end}}', "R"),
    ('{{if eq .State.Status "exited" "running"}}R{{end}}', "R"),
    ('{{if ne .State.Status "running"}}R{{else}}notR{{end}}', "notR"),
    ("{{if eq .State.ExitCode 0}}zero{{end}}", "zero"),
    ("{{if eq .F 2.5}}f{{end}}", "f"),
    ('{{eq .Missing "x"}}', "false"),
    ("{{eq .Missing .Null}}", "true"),
    ("{{eq .T true}}", "true"),
    ("{{lt .N 8}} {{le .N 7}} {{gt .N 7}} {{ge .N 7}}", "true true false true"),
    ('{{lt "a" "b"}}', "true"),
    (
        "{{and .T .N}} {{and .Fa .N}} {{or .Fa .N}} {{or .Fa .Empty}} {{not .T}} {{not .Empty}}",
        "7 false 7 [] false true",
    ),
    ("{{and .Fa .Missing.X}}", "false"),
    ("{{len .Args}} {{len .Labels}} {{len .Uni}} {{len .Empty}}", "3 3 10 0"),
    ('{{printf "%s %d %v" .ID .N .Args}}', "abc123 7 [sh -c echo hi]"),
    (
        '{{printf "%5s|%-5s|%05d|%x|%X|%q|%t|%v" "ab" "cd" 42 255 "hi" "q\\"x" true .Labels}}',
        '   ab|cd   |00042|ff|6869|"q\\"x"|true|map[a:1 b:2 com.x:y]',
    ),
    (
        '{{printf "%.2f %e %g %v %f" .F .F .Big .Small .N}}',
        "2.50 2.500000e+00 1.23456789e+08 1e-05 %!f(int=7)",
    ),
    ('{{printf "%d" .ID}}', "%!d(string=abc123)"),
    ('{{printf "%s" .N}}', "%!s(int=7)"),
    ('{{printf "%d %d" 1}}', "1 %!d(MISSING)"),
    ('{{printf "%d" 1 2 "x"}}', "1%!(EXTRA int=2, string=x)"),
    ('{{printf "%v" .Missing}}', "<nil>"),
    ('{{printf "%s" .Null}}', "%!s(<nil>)"),
    ('{{printf "%"}}', "%!(NOVERB)"),
    ('{{printf "%q" 65}}', "'A'"),
    ('{{printf "%c" 9731}}', "☃"),
    ('{{printf "%6.2f|%-8v|%+d" 3.14159 .N 5}}', "  3.14|7       |+5"),
    ('{{print .ID .N .N "x" .T}}', "abc1237 7xtrue"),
    ("{{println .ID .N}}", "abc123 7\n"),
    ('{{.ID | upper}} {{.Names | lower}} {{"hello world" | title}}', "ABC123 web Hello World"),
    ('{{split .Config.Image ":"}}', "[busybox latest]"),
    ('{{index (split .Config.Image ":") 1}}', "latest"),
    ('{{pad .ID 2 3}}|{{pad "" 2 3}}|', "  abc123   ||"),
    ("{{truncate .ID 3}} {{truncate .ID 30}}", "abc abc123"),
    ("{{$x := .ID}}{{$x}}-{{$x | upper}}", "abc123-ABC123"),
    ("{{$x := 1}}{{$x = 2}}{{$x}}", "2"),
    ("{{with .State}}{{.Status}}{{end}}", "running"),
    ("{{with .Missing}}a{{else}}b{{end}}", "b"),
    ("{{with $s := .State}}{{$s.Pid}}{{end}}", "42"),
    ("{{if .Fa}}a{{else if .T}}b{{else}}c{{end}}", "b"),
    ("{{if .Fa}}a{{else if .Fa}}b{{else}}c{{end}}", "c"),
    ("a  {{- .ID -}}  b", "aabc123b"),
    ("a  {{- .ID}}  b {{.ID -}}", "aabc123  b abc123"),
    ("  c", "  c"),
    ("{{- /* comment */ -}}  x", "x"),
    ("{{/* c */}}y", "y"),
    ("{{-3}}", "-3"),
    ("{{1.5}} {{1e3}} {{0x10}} {{'a'}} {{-7}} {{+2}}", "1.5 1000 16 97 -7 2"),
    ('{{"a\\tb\\u00e9"}}|{{`raw\\n`}}', "a\tbé|raw\\n"),
    (
        "{{.}}{{$}}",
        "map[Args:[sh -c echo hi] Big:1.23456789e+08 Config:map[Cmd:<nil> Env:[A=1 B=2] Image:busybox:latest Labels:map[x:1]] Empty:[] EmptyMap:map[] F:2.5 Fa:false Html:<a href='x'>&</a> ID:abc123 Labels:map[a:1 b:2 com.x:y] Mounts:[map[Destination:/b Source:/a] map[Destination:/d Source:/c]] N:7 Names:web Neg:-3 Nested:map[L:[1 [2 3] map[k:<nil>]]] Null:<nil> Ports:map[80/tcp:[map[HostIp:0.0.0.0 HostPort:8080]]] Small:1e-05 State:map[Error: ExitCode:0 Pid:42 Running:true Status:running] T:true Uni:héllo ☃]map[Args:[sh -c echo hi] Big:1.23456789e+08 Config:map[Cmd:<nil> Env:[A=1 B=2] Image:busybox:latest Labels:map[x:1]] Empty:[] EmptyMap:map[] F:2.5 Fa:false Html:<a href='x'>&</a> ID:abc123 Labels:map[a:1 b:2 com.x:y] Mounts:[map[Destination:/b Source:/a] map[Destination:/d Source:/c]] N:7 Names:web Neg:-3 Nested:map[L:[1 [2 3] map[k:<nil>]]] Null:<nil> Ports:map[80/tcp:[map[HostIp:0.0.0.0 HostPort:8080]]] Small:1e-05 State:map[Error: ExitCode:0 Pid:42 Running:true Status:running] T:true Uni:héllo ☃]",
    ),
    ("{{range .Args}}{{$.ID}}{{end}}", "abc123abc123abc123"),
    ('{{range .Args}}{{if eq . "-c"}}{{break}}{{end}}{{.}}{{end}}', "sh"),
    ('{{range .Args}}{{if eq . "-c"}}{{continue}}{{end}}{{.}}{{end}}', "shecho hi"),
    ('{{(index .Ports "80/tcp")}}', "[map[HostIp:0.0.0.0 HostPort:8080]]"),
    ('{{(index (index .Ports "80/tcp") 0).HostPort}}', "8080"),
    (
        "{{range $p, $conf := .Ports}}{{$p}} -> {{(index $conf 0).HostPort}}{{end}}",
        "80/tcp -> 8080",
    ),
    ("{{.Nested.L}}", "[1 [2 3] map[k:<nil>]]"),
    ('{{html .Html}} {{urlquery "a b&c"}}', "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt; a+b%26c"),
    ("{{slice .Args 1 2}} {{slice .ID 1}} {{slice .ID 1 3}}", "[-c] bc123 bc"),
    ("{{index .ID 0}}", "97"),
    ('{{.State.Status | printf "%s!"}}', "running!"),
    ("{{.Config.Cmd}}", "<no value>"),
    ("{{.Config.Env}}", "[A=1 B=2]"),
    ("{{json .Config.Env}}", '["A=1","B=2"]'),
    ("{{ .ID }}", "abc123"),
    ('{{.State.Pid | printf "%d-%s" "x"}}', "%!d(string=x)-%!s(int=42)"),
    ("{{if and .T (eq .N 7)}}yes{{end}}", "yes"),
    ("{{if or (eq .N 1) (eq .N 7)}}yes{{end}}", "yes"),
    ('{{index .Labels "com.x"}}', "y"),
    ("{{.Labels.a}}", "1"),
    ("{{json .Nested}}", '{"L":[1,[2,3],{"k":null}]}'),
    ("{{json .EmptyMap}} {{json .Empty}}", "{} []"),
    ("{{.Uni | upper}}", "HÉLLO ☃"),
    ('{{title "hello-world foo_bar o\'neil"}}', "Hello-World Foo_bar O'Neil"),
    ('{{printf "%s" .Args}}', "[sh -c echo hi]"),
    ('{{printf "%d" .Args}}', "[%!d(string=sh) %!d(string=-c) %!d(string=echo hi)]"),
    ('{{printf "%v %v" .Null .EmptyMap}}', "<nil> map[]"),
    ('{{printf "%x" "hi"}}', "6869"),
    ('{{printf "%08.3f" -3.14159}}', "-003.142"),
    ('{{printf "%-4d|" 7}}', "7   |"),
    ('{{printf "%5t|" true}}', " true|"),
    ("{{if .Missing}}x{{else}}y{{end}}", "y"),
    ("{{range .Mounts}}{{.Nope}}{{end}}", "<no value><no value>"),
    ("{{.ID | len}}", "6"),
    ('{{split "a,b,,c" ","}}', "[a b  c]"),
    ('{{split "abc" ""}}', "[a b c]"),
    ('{{json (split "a,b" ",")}}', '["a","b"]'),
    ('{{printf "%T" 1}}', "int"),
    ('{{.N | printf "%03d"}}', "007"),
    (
        "{{$}}",
        "map[Args:[sh -c echo hi] Big:1.23456789e+08 Config:map[Cmd:<nil> Env:[A=1 B=2] Image:busybox:latest Labels:map[x:1]] Empty:[] EmptyMap:map[] F:2.5 Fa:false Html:<a href='x'>&</a> ID:abc123 Labels:map[a:1 b:2 com.x:y] Mounts:[map[Destination:/b Source:/a] map[Destination:/d Source:/c]] N:7 Names:web Neg:-3 Nested:map[L:[1 [2 3] map[k:<nil>]]] Null:<nil> Ports:map[80/tcp:[map[HostIp:0.0.0.0 HostPort:8080]]] Small:1e-05 State:map[Error: ExitCode:0 Pid:42 Running:true Status:running] T:true Uni:héllo ☃]",
    ),
    ("{{$v := 1}}{{if .T}}{{$v = 2}}{{end}}{{$v}}", "2"),
    ("{{if .Fa}}a{{else if .Fa}}b{{else if .T}}c{{end}}", "c"),
    ("{{- .ID -}}", "abc123"),
    ("{{.ID -}}", "abc123"),
    ("x\t{{- .ID}}", "xabc123"),
    ("{{.ID}}  \n  {{- .N}}", "abc1237"),
    ("{{3 -}} < {{- 4}}", "3<4"),
    ('{{ .ID | printf "%s" | upper }}', "ABC123"),
    ("{{ (.ID) }}", "abc123"),
    ("{{ (.State).Status }}", "running"),
    ("{{ $.State.Status }}", "running"),
    ("{{ $x := .State }}{{ $x.Status }}{{ $x.Nope }}", "running<no value>"),
    ('{{ printf "%v" nil }}', "<nil>"),
    ("{{ eq nil nil }}", "true"),
    ("{{ index .Labels }}", "map[a:1 b:2 com.x:y]"),
    ('{{ index .Nested.L 2 "k" }}', "<no value>"),
    ('{{ not 0 }} {{ not "" }} {{ not .EmptyMap }} {{ not .Null }}', "true true true true"),
    ('{{ .ID | eq "abc123" }}', "true"),
    ('{{ (eq .ID "abc123") | not }}', "false"),
    ("{{ len (index .Mounts 0) }}", "2"),
    ('{{ 1 | printf "%d" }}', "1"),
    ('{{ printf "%s" (.ID) (.N) }}', "abc123%!(EXTRA int=7)"),
    ("{{ println }}", "\n"),
    ("{{ print }}", ""),
    ('{{ print "a" "b" 1 2 "c" }}', "ab1 2c"),
    ("{{ print 1.0 2.5e10 }}", "1 2.5e+10"),
    (
        "{{ 0.1 }} {{ 1e21 }} {{ 1e20 }} {{ 100000.0 }} {{ 1000000.0 }} {{ 0.0001 }} {{ 0.00001 }}",
        "0.1 1e+21 1e+20 100000 1e+06 0.0001 1e-05",
    ),
    (
        "{{ json 1e21 }} {{ json 1e20 }} {{ json 0.000001 }} {{ json 0.0000001 }} {{ json -0.0 }} {{ json 1.5e-7 }}",
        "1e+21 100000000000000000000 0.000001 1e-7 -0 1.5e-7",
    ),
    (
        '{{ printf "%g %e %.3g %G" 1e21 1234.5678 1234.5678 1e-10 }}',
        "1e+21 1.234568e+03 1.23e+03 1E-10",
    ),
    ('{{ printf "%v" -0.0 }}', "-0"),
    ('{{ printf "%q" "a\\x01\\u00e9\\u2028" }}', '"a\\x01é\\u2028"'),
    ('{{ html "<\\"\'&>" }}', "&lt;&#34;&#39;&amp;&gt;"),
    ('{{ urlquery "a/b c?d=é" }}', "a%2Fb+c%3Fd%3D%C3%A9"),
    ("{{ truncate .ID 3.0 }}", "abc"),
    ("{{range .Mounts -}}\n  {{.Source}}\n{{end -}}\ndone", "/a\n/c\ndone"),
    ("{{ .Labels.com.x }}", "<no value>"),
    ('{{ index .Labels "com.x" | printf "%q" }}', '"y"'),
    ("{{ $ := 1 }}", ""),
    ('{{ $x := 1 | printf "%d" }}{{ $x }}', "1"),
    ("{{ with $x := .Missing }}{{ $x }}{{ else }}{{ $x }}{{ end }}", "<no value>"),
    ("{{ .T | not | not }}", "true"),
    ("{{ if not .Labels }}a{{ end }}", ""),
    ('{{ len .Args | printf "%d args" }}', "3 args"),
    ("{{ range .Args }}{{ . }}{{ else }}none{{ end }}", "sh-cecho hi"),
    ("{{ (index .Mounts 0).Nope.Deeper }}", "<no value>"),
    ("{{ range .Nested.L }}{{ . }},{{ end }}", "1,[2 3],map[k:<nil>],"),
    ("{{ .Missing | json }}", "null"),
]

GO_ERRORS: list[tuple[str, str]] = [
    (
        "{{.Null.X}}",
        'template: :1:7: executing "" at <.Null.X>: nil pointer evaluating interface {}.X',
    ),
    (
        "{{.ID.X}}",
        'template: :1:5: executing "" at <.ID.X>: can\'t evaluate field X in type interface {}',
    ),
    (
        "{{.Args.X}}",
        'template: :1:7: executing "" at <.Args.X>: can\'t evaluate field X in type interface {}',
    ),
    (
        "{{index .Args 5}}",
        'template: :1:2: executing "" at <index .Args 5>: error calling index: index out of range: 5',
    ),
    (
        "{{range .ID}}x{{end}}",
        'template: :1:8: executing "" at <.ID>: range can\'t iterate over abc123',
    ),
    (
        "{{eq .N 7.0}}",
        'template: :1:2: executing "" at <eq .N 7.0>: error calling eq: incompatible types for comparison',
    ),
    (
        "{{eq .Args .Args}}",
        'template: :1:2: executing "" at <eq .Args .Args>: error calling eq: non-comparable type [sh -c echo hi]: []interface {}',
    ),
    (
        "{{eq .T 1}}",
        'template: :1:2: executing "" at <eq .T 1>: error calling eq: incompatible types for comparison',
    ),
    (
        "{{lt .T .Fa}}",
        'template: :1:2: executing "" at <lt .T .Fa>: error calling lt: invalid type for comparison',
    ),
    (
        "{{lt .N 1.5}}",
        'template: :1:2: executing "" at <lt .N 1.5>: error calling lt: incompatible types for comparison',
    ),
    ("{{len .N}}", 'template: :1:2: executing "" at <len .N>: error calling len: len of type int'),
    (
        "{{.N | upper}}",
        'template: :1:7: executing "" at <upper>: wrong type for value; expected string; got int',
    ),
    (
        "{{.Missing | upper}}",
        'template: :1:13: executing "" at <upper>: invalid value; expected string',
    ),
    (
        "{{upper .ID .ID}}",
        'template: :1:2: executing "" at <upper>: wrong number of args for upper: want 1 got 2',
    ),
    ("{{foo .ID}}", 'template: :1: function "foo" not defined'),
    ("{{.ID", "template: :1: unclosed action"),
    ("{{if .T}}x", "template: :1: unexpected EOF"),
    ("{{end}}", "template: :1: unexpected {{end}}"),
    ("{{else}}", "template: :1: unexpected {{else}}"),
    ("{{if}}{{end}}", "template: :1: missing value for if"),
    ("{{}}", "template: :1: missing value for command"),
    ('{{.ID "x"}}', 'template: :1:2: executing "" at <.ID>: ID is not a method but has arguments'),
    (
        '{{"x" .ID}}',
        'template: :1:2: executing "" at <"x">: can\'t give argument to non-function "x"',
    ),
    ('{{.ID | "x"}}', "template: :1: non executable command in pipeline stage 2"),
    ("{{$y}}", 'template: :1: undefined variable "$y"'),
    ("{{$x = 1}}", 'template: :1:7: executing "" at <1>: undefined variable: $x'),
    ("{{true}} {{false}} {{nil}}", 'template: :1:21: executing "" at <nil>: nil is not a command'),
    ("{{break}}", "template: :1: {{break}} outside {{range}}"),
    (
        "{{not}}",
        'template: :1:2: executing "" at <not>: wrong number of args for not: want 1 got 0',
    ),
    (
        "{{len .ID .ID}}",
        'template: :1:2: executing "" at <len>: wrong number of args for len: want 1 got 2',
    ),
    (
        "{{and}}",
        'template: :1:2: executing "" at <and>: wrong number of args for and: want at least 1 got 0',
    ),
    ("{{range .Config.Env}}{{.}}", "template: :1: unexpected EOF"),
    ("{{end}}", "template: :1: unexpected {{end}}"),
    (
        '{{index .Missing "x"}}',
        'template: :1:2: executing "" at <index .Missing "x">: error calling index: index of untyped nil',
    ),
    (
        '{{index .Null "x"}}',
        'template: :1:2: executing "" at <index .Null "x">: error calling index: index of untyped nil',
    ),
    ('{{"unterminated}}', "template: :1: unterminated quoted string"),
    ("{{.ID}}{{end}}", "template: :1: unexpected {{end}}"),
    ("{{range .Args}}{{else}}{{else}}{{end}}", "template: :1: expected end; found {{else}}"),
    (
        "{{.Args | join}}",
        'template: :1:10: executing "" at <join>: wrong number of args for join: want 2 got 1',
    ),
    ("{{if .T}}a{{else}}b", "template: :1: unexpected EOF"),
    ("{{range .Args}}", "template: :1: unexpected EOF"),
    ("line1\n{{.ID}}\n{{foo}}", 'template: :3: function "foo" not defined'),
    (
        "a\n{{.ID.X}}",
        'template: :2:5: executing "" at <.ID.X>: can\'t evaluate field X in type interface {}',
    ),
    ("{{.ID}} {{", "template: :1: unclosed action"),
    ('{{"abc', "template: :1: unterminated quoted string"),
    ("{{.ID}}{{else}}", "template: :1: unexpected {{else}}"),
    ("{{if .T}}{{$v := 1}}{{end}}{{$v}}", 'template: :1: undefined variable "$v"'),
    ("{{range $i, $j, $k := .Args}}{{end}}", "template: :1: too many declarations in range"),
    ("{{$a, $b := .Args}}", "template: :1: too many declarations in command"),
    ("{{-.ID}}", 'template: :1: bad number syntax: "-.I"'),
    ("{{.ID-}}", "template: :1: bad character U+002D '-'"),
    (
        '{{ ("x").Y }}',
        'template: :1:4: executing "" at <"x">: can\'t evaluate field Y in type string',
    ),
    (
        "{{ .State | .Status }}",
        'template: :1:12: executing "" at <.Status>: Status is not a method but has arguments',
    ),
    ("{{ nil }}", 'template: :1:3: executing "" at <nil>: nil is not a command'),
    (
        '{{ and 1 0 2 }} {{ or 0 "" 3 }} {{ and }}',
        'template: :1:35: executing "" at <and>: wrong number of args for and: want at least 1 got 0',
    ),
    ("{{ .ID | truncate 3 }}", 'template: :1:18: executing "" at <3>: expected string; found 3'),
    (
        '{{ truncate .ID "3" }}',
        'template: :1:16: executing "" at <"3">: expected integer; found "3"',
    ),
    (
        "{{ pad .ID -1 0 }}",
        'template: :1:3: executing "" at <pad .ID -1 0>: error calling pad: strings: negative Repeat count',
    ),
    ("{{ 'ab' }}", "template: :1: malformed character constant: 'ab'"),
    ("{{ 1x }}", 'template: :1: bad number syntax: "1x"'),
    ("{{ .ID# }}", "template: :1: bad character U+0023 '#'"),
    ("{{ # }}", 'template: :1: unexpected "#" in command'),
    ("{{ (.ID }}", "template: :1: unclosed left paren"),
    ("{{ range $x := .Args }}{{ end }}{{ $x }}", 'template: :1: undefined variable "$x"'),
    ("{{/* unclosed", "template: :1: unclosed comment"),
    ("{{/* x */ .ID }}", "template: :1: comment ends before closing delimiter"),
    ("{{ /* x */ }}", 'template: :1: unexpected "/" in command'),
    (
        "{{ slice .Args 2 1 }}",
        'template: :1:3: executing "" at <slice .Args 2 1>: error calling slice: invalid slice index: 2 > 1',
    ),
    (
        "{{ slice .Args 1 9 }}",
        'template: :1:3: executing "" at <slice .Args 1 9>: error calling slice: index out of range: 9',
    ),
    (
        "{{ index .Args -1 }}",
        'template: :1:3: executing "" at <index .Args -1>: error calling index: index out of range: -1',
    ),
    (
        '{{ index .Args "x" }}',
        'template: :1:3: executing "" at <index .Args "x">: error calling index: cannot index slice/array with type string',
    ),
    (
        "{{ index .Labels 1 }}",
        'template: :1:3: executing "" at <index .Labels 1>: error calling index: value has type int; should be string',
    ),
    (
        "{{ lt 1 2 3 }}",
        'template: :1:3: executing "" at <lt>: wrong number of args for lt: want 2 got 3',
    ),
    (
        "{{ eq 1 }}",
        'template: :1:3: executing "" at <eq 1>: error calling eq: missing argument for comparison',
    ),
    (
        "{{ ne 1 2 3 }}",
        'template: :1:3: executing "" at <ne>: wrong number of args for ne: want 2 got 3',
    ),
    (
        "{{ printf }}",
        'template: :1:3: executing "" at <printf>: wrong number of args for printf: want at least 1 got 0',
    ),
    ("{{ printf 1 }}", 'template: :1:10: executing "" at <1>: expected string; found 1'),
    ("{{ continue }}", "template: :1: {{continue}} outside {{range}}"),
    ("{{ range .Args }}{{ break 1 }}{{ end }}", 'template: :1: unexpected "1" in {{break}}'),
    ("{{ end }}", "template: :1: unexpected {{end}}"),
    ("{{ if .T }}{{ else }}{{ else }}{{ end }}", "template: :1: expected end; found {{else}}"),
    (
        "{{ .N.X }}",
        'template: :1:5: executing "" at <.N.X>: can\'t evaluate field X in type interface {}',
    ),
    (
        "{{ $.N.X }}",
        'template: :1:4: executing "" at <$.N.X>: can\'t evaluate field X in type interface {}',
    ),
    (
        "{{ (index .Mounts 9).Source }}",
        'template: :1:4: executing "" at <index .Mounts 9>: error calling index: index out of range: 9',
    ),
    (
        "{{ range .Nested.L }}{{ .k }},{{ end }}",
        'template: :1:24: executing "" at <.k>: can\'t evaluate field k in type interface {}',
    ),
    (
        "{{ json }}",
        'template: :1:3: executing "" at <json>: wrong number of args for json: want 1 got 0',
    ),
    (
        "{{ json .ID .ID }}",
        'template: :1:3: executing "" at <json>: wrong number of args for json: want 1 got 2',
    ),
    ("{{ upper 1 }}", 'template: :1:9: executing "" at <1>: expected string; found 1'),
    (
        '{{ split .N "," }}',
        'template: :1:9: executing "" at <.N>: wrong type for value; expected string; got int',
    ),
    (
        "{{ lower .Missing }}",
        'template: :1:9: executing "" at <.Missing>: invalid value; expected string',
    ),
]

GO_OUTPUT_MISSINGKEY_ERROR: list[tuple[str, str]] = [
    ("{{ .ID }} {{ .Null }}", "abc123 <no value>"),
]

GO_ERRORS_MISSINGKEY_ERROR: list[tuple[str, str]] = [
    (
        "{{ .Missing }}",
        'template: :1:3: executing "" at <.Missing>: map has no entry for key "Missing"',
    ),
    (
        "{{ .Missing.X }}",
        'template: :1:11: executing "" at <.Missing.X>: map has no entry for key "Missing"',
    ),
    (
        "{{ .State.Nope }}",
        'template: :1:9: executing "" at <.State.Nope>: map has no entry for key "Nope"',
    ),
]


@pytest.mark.parametrize(("template", "expected"), GO_OUTPUT)
def test_output_matches_go(template: str, expected: str) -> None:
    assert render(template, DATA) == expected


@pytest.mark.parametrize(("template", "message"), GO_ERRORS)
def test_error_matches_go(template: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        render(template, DATA)
    assert str(info.value) == message


@pytest.mark.parametrize(("template", "expected"), GO_OUTPUT_MISSINGKEY_ERROR)
def test_missingkey_error_output_matches_go(template: str, expected: str) -> None:
    assert compile(template, missing_key_error=True).execute(DATA) == expected


@pytest.mark.parametrize(("template", "message"), GO_ERRORS_MISSINGKEY_ERROR)
def test_missingkey_error_errors_match_go(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=r"^template: ") as info:
        compile(template, missing_key_error=True).execute(DATA)
    assert str(info.value) == message


def test_compile_is_cached_and_reusable() -> None:
    t = compile("{{.ID}}-{{.N}}")
    assert compile("{{.ID}}-{{.N}}") is t
    assert t.execute({"ID": "a", "N": 1}) == "a-1"
    assert t.execute({"ID": "b", "N": 2}) == "b-2"


def test_parse_error_is_raised_by_compile_before_any_data() -> None:
    with pytest.raises(TemplateError, match=r'^template: :1: function "foo" not defined$'):
        compile("{{foo .ID}}")


def test_error_line_numbers_count_newlines() -> None:
    with pytest.raises(TemplateError, match=r'^template: :3: function "nope" not defined$'):
        compile("a\nb\n{{nope}}")
    with pytest.raises(TemplateError) as info:
        render("x\n  {{.ID.Deep}}", {"ID": "s"})
    assert str(info.value).startswith('template: :2:7: executing "" at <.ID.Deep>: ')


def test_field_names_lists_top_level_fields() -> None:
    t = compile("{{.ID}} {{if .State.Running}}{{upper .Names}}{{end}} {{range .Mounts}}{{end}}")
    assert sorted(set(t.field_names())) == ["ID", "Mounts", "Names", "State"]


# --- Where scopebox deliberately differs from Go 1.19 -------------------------------------


def test_index_of_missing_key_in_string_map_is_empty_like_dockers_typed_labels() -> None:
    # Docker's Labels are map[string]string, where a missing key indexes to "", whereas a
    # JSON-decoded map[string]interface{} would give <no value>.
    assert render('[{{index .Labels "nope"}}]', {"Labels": {"a": "1"}}) == "[]"
    assert render('[{{index .Labels "nope"}}]', {"Labels": {}}) == "[]"
    assert render('[{{index .M "nope"}}]', {"M": {"a": 1}}) == "[<no value>]"


def test_json_keeps_dict_order_unless_asked_to_sort() -> None:
    # Docker's inspect objects are structs (field order); its ps/images rows are maps (sorted).
    state = {"State": {"Status": "running", "Running": True, "Pid": 1}}
    assert render("{{json .State}}", state) == '{"Status":"running","Running":true,"Pid":1}'
    sorted_json = compile("{{json .State}}", sort_json_keys=True).execute(state)
    assert sorted_json == '{"Pid":1,"Running":true,"Status":"running"}'


def test_json_escapes_like_current_go() -> None:
    # Go >= 1.22 (which docker is built with) writes \b and \f; HTML stays unescaped in
    # docker's `json` function (SetEscapeHTML(false)).
    assert render("{{json .}}", "<a>&\b\f\u2028") == '"<a>&\\b\\f\\u2028"'
    assert go_json("<&>", escape_html=True) == '"\\u003c\\u0026\\u003e"'


def test_range_over_integer_like_go_1_22() -> None:
    assert render("{{range $i := .N}}{{$i}}{{end}}", {"N": 3}) == "012"
    assert render("{{range .N}}x{{else}}none{{end}}", {"N": -1}) == "none"
    with pytest.raises(TemplateError, match="can't use 3 to iterate over more than one variable"):
        render("{{range $i, $e := .N}}{{end}}", {"N": 3})


def test_else_with_like_go_1_23() -> None:
    t = "{{with .A}}a{{else with .B}}b={{.}}{{else}}none{{end}}"
    assert render(t, {"B": 2}) == "b=2"
    assert render(t, {}) == "none"


def test_join_accepts_a_list_of_strings() -> None:
    # Docker passes typed []string; JSON data holds a list, which Go would refuse.
    assert render('{{join .Args " "}}', {"Args": ["sh", "-c", "true"]}) == "sh -c true"
    with pytest.raises(TemplateError, match="expected \\[\\]string; got \\[\\]interface"):
        render('{{join .Args " "}}', {"Args": ["a", 1]})


def test_define_and_template_are_refused() -> None:
    with pytest.raises(TemplateError, match="not supported"):
        compile('{{define "x"}}{{end}}')


# --- Properties ------------------------------------------------------------------------------

_plain_text = st.text().filter(lambda s: "{{" not in s)


@given(_plain_text)
def test_text_without_actions_is_copied_verbatim(text: str) -> None:
    assert render(text, {}) == text


@given(st.text())
def test_any_template_either_renders_or_raises_template_error(text: str) -> None:
    try:
        render(text, DATA)
    except TemplateError as exc:
        assert str(exc).startswith("template: ")


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_json_values)
def test_json_function_round_trips_through_a_json_parser(value: object) -> None:
    # Go prints integral floats without a fraction, so read every number back as a float.
    assert json.loads(render("{{json .V}}", {"V": value}), parse_int=float) == value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_printed_floats_parse_back_to_the_same_float(f: float) -> None:
    printed = render("{{.}}", f)
    assert float(printed) == f
    # Go's %v: exponent form below 1e-4 and from 1e21 up, with a two-digit exponent.
    if f != 0 and (abs(f) < 1e-4 or abs(f) >= 1e21):
        assert "e" in printed
        assert len(printed.split("e")[1]) >= 3
    assert not math.isnan(float(printed))


@given(st.text(alphabet="abc \t\n", max_size=30), st.text(alphabet="abc", max_size=5))
def test_trim_markers_remove_all_adjacent_space(before: str, after: str) -> None:
    assert render(before + "{{- .X -}}" + " \n\t" + after, {"X": "!"}) == (
        before.rstrip(" \t\r\n") + "!" + after
    )
