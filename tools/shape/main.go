// Command shape measures the structure of a Go package from its own type
// information, as issue 24 asks: how many non-test files it has, the
// largest set of its files that use each other's declarations in a loop
// (the type-checked loop: a strongly connected component of the graph
// "file A uses a name that file B declares": a package-level name, a
// method or a field; and the same through package-level names alone), how many names it exports
// and how many of those no other package of the module uses, and its
// functions longer than 50 lines.
//
//	go run ./tools/shape ./steps            # one package
//	go run ./tools/shape -v ./steps         # with the loop's files and the long functions
//	go run ./tools/shape ./steps/...        # a package and those under it, each apart
//
// Run it at the module's root. It parses and type-checks from source (the
// standard library's "source" importer), so it needs nothing beyond Go.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	verbose := flag.Bool("v", false, "list the loop's files and the long functions")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./tools/shape [-v] ./PACKAGE [./PACKAGE/...]")
		os.Exit(2)
	}
	all, err := goList("./...")
	if err != nil {
		fail(err)
	}
	targets, err := goList(flag.Args()...)
	if err != nil {
		fail(err)
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "source", nil).(types.ImporterFrom)
	loaded := map[string]*loadedPkg{}
	load := func(p listed) *loadedPkg {
		if l, ok := loaded[p.ImportPath]; ok {
			return l
		}
		l, err := typeCheck(fset, imp, p)
		if err != nil {
			fail(err)
		}
		loaded[p.ImportPath] = l
		return l
	}
	for _, t := range targets {
		l := load(t)
		// Which exported names another package of the module uses (its
		// non-test files): every other package that imports this one.
		// Each package is type-checked with its own copy of what it
		// imports, so a name is told by its package path and name.
		usedOutside := map[string]bool{}
		for _, o := range all {
			if o.ImportPath == t.ImportPath || !imports(o, t.ImportPath) {
				continue
			}
			for _, obj := range load(o).info.Uses {
				if obj.Pkg() != nil && obj.Pkg().Path() == t.ImportPath && obj.Parent() == obj.Pkg().Scope() {
					usedOutside[obj.Name()] = true
				}
			}
		}
		report(l, usedOutside, *verbose)
	}
}

type listed struct {
	Dir, ImportPath string
	GoFiles         []string
	Imports         []string
}

func imports(p listed, path string) bool {
	for _, i := range p.Imports {
		if i == path {
			return true
		}
	}
	return false
}

func goList(patterns ...string) ([]listed, error) {
	args := append([]string{"list", "-f", "{{.Dir}}\t{{.ImportPath}}\t{{join .GoFiles \" \"}}\t{{join .Imports \" \"}}"}, patterns...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %v", strings.Join(patterns, " "), err)
	}
	var ps []listed
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			continue
		}
		ps = append(ps, listed{Dir: f[0], ImportPath: f[1], GoFiles: strings.Fields(f[2]), Imports: strings.Fields(f[3])})
	}
	return ps, nil
}

type loadedPkg struct {
	listed
	pkg   *types.Package
	info  *types.Info
	files []*ast.File
	fset  *token.FileSet
}

func typeCheck(fset *token.FileSet, imp types.ImporterFrom, p listed) (*loadedPkg, error) {
	var files []*ast.File
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{}}
	conf := types.Config{Importer: imp}
	pkg, err := conf.Check(p.ImportPath, fset, files, info)
	if err != nil {
		return nil, fmt.Errorf("type-checking %s: %v", p.ImportPath, err)
	}
	return &loadedPkg{listed: p, pkg: pkg, info: info, files: files, fset: fset}, nil
}

func report(l *loadedPkg, usedOutside map[string]bool, verbose bool) {
	fileOf := func(pos token.Pos) string { return filepath.Base(l.fset.Position(pos).Filename) }
	// The file graph: A → B when A uses an object declared in B, at any
	// depth (package-level names, methods, fields).
	edges, topEdges := map[string]map[string]bool{}, map[string]map[string]bool{}
	for _, f := range l.files {
		edges[fileOf(f.Pos())], topEdges[fileOf(f.Pos())] = map[string]bool{}, map[string]bool{}
	}
	for id, obj := range l.info.Uses {
		if obj.Pkg() != l.pkg || !obj.Pos().IsValid() {
			continue
		}
		from, to := fileOf(id.Pos()), fileOf(obj.Pos())
		if _, ok := edges[to]; ok && from != to {
			edges[from][to] = true
			if obj.Parent() == l.pkg.Scope() {
				topEdges[from][to] = true
			}
		}
	}
	loop, topLoop := largestSCC(edges), largestSCC(topEdges)

	// Exported names: the package scope's, and the exported methods and
	// fields of its types.
	var exported, inside []string
	scope := l.pkg.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if obj.Exported() {
			exported = append(exported, name)
			if !usedOutside[name] {
				inside = append(inside, name)
			}
		}
	}

	type long struct {
		name  string
		lines int
	}
	var longs []long
	for _, f := range l.files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			n := l.fset.Position(fd.End()).Line - l.fset.Position(fd.Pos()).Line + 1
			if n > 50 {
				name := fd.Name.Name
				if fd.Recv != nil && len(fd.Recv.List) > 0 {
					name = recvName(fd.Recv.List[0].Type) + "." + name
				}
				longs = append(longs, long{fileOf(fd.Pos()) + ":" + name, n})
			}
		}
	}
	sort.Slice(longs, func(i, j int) bool { return longs[i].lines > longs[j].lines })

	fmt.Printf("%s\n", l.ImportPath)
	fmt.Printf("  non-test files:               %d\n", len(l.files))
	fmt.Printf("  largest type-checked loop:    %d files (%d through package-level names alone)\n", len(loop), len(topLoop))
	fmt.Printf("  exported package-level names: %d (%d used by no other package)\n", len(exported), len(inside))
	fmt.Printf("  functions over 50 lines:      %d", len(longs))
	if len(longs) > 0 {
		fmt.Printf(" (longest %s, %d)", longs[0].name, longs[0].lines)
	}
	fmt.Println()
	if verbose {
		sort.Strings(loop)
		fmt.Printf("  loop: %s\n", strings.Join(loop, " "))
		fmt.Printf("  exported, used only inside: %s\n", strings.Join(inside, " "))
		for _, lf := range longs {
			fmt.Printf("  %4d %s\n", lf.lines, lf.name)
		}
	}
}

func recvName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recvName(t.X)
	case *ast.Ident:
		return t.Name
	case *ast.IndexExpr:
		return recvName(t.X)
	case *ast.IndexListExpr:
		return recvName(t.X)
	}
	return "?"
}

// largestSCC is the biggest strongly connected component (Tarjan).
func largestSCC(g map[string]map[string]bool) []string {
	index, low := map[string]int{}, map[string]int{}
	on := map[string]bool{}
	var stack, best []string
	next := 0
	var visit func(v string)
	visit = func(v string) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		on[v] = true
		for w := range g[v] {
			if _, seen := index[w]; !seen {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if on[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []string
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				on[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			if len(comp) > len(best) {
				best = comp
			}
		}
	}
	nodes := make([]string, 0, len(g))
	for v := range g {
		nodes = append(nodes, v)
	}
	sort.Strings(nodes)
	for _, v := range nodes {
		if _, seen := index[v]; !seen {
			visit(v)
		}
	}
	return best
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "shape:", err)
	os.Exit(1)
}
