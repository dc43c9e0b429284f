package lvm

import (
	"github.com/yuin/gopher-lua/ast"
)

// Generic for loops are lowered before compilation. gopher-lua runs the
// iterator of `for k, v in f, s, c do` through a nested Go-level call, so a
// yield inside the iterator (a coroutine.wrap generator whose body reads a
// cosocket, say) would unwind into the middle of the loop instruction. The
// lowered form is the one the Lua 5.1 manual gives as the loop's meaning:
//
//	do
//	  local (for generator), (for state), (for control) = f, s, c
//	  while true do
//	    local k, v = (for generator)((for state), (for control))
//	    if k == nil then break end
//	    (for control) = k
//	    <body>
//	  end
//	end
//
// The iterator becomes an ordinary call, which can yield. The hidden names
// are not valid Lua identifiers, so user code cannot clash with them.
const (
	forGen   = "(for generator)"
	forState = "(for state)"
	forCtl   = "(for control)"
)

// lowerBlock rewrites every generic for in stmts, nested functions included.
func lowerBlock(stmts []ast.Stmt) {
	for i, s := range stmts {
		stmts[i] = lowerStmt(s)
	}
}

func lowerStmt(s ast.Stmt) ast.Stmt {
	switch s := s.(type) {
	case *ast.AssignStmt:
		lowerExprs(s.Lhs)
		lowerExprs(s.Rhs)
	case *ast.LocalAssignStmt:
		lowerExprs(s.Exprs)
	case *ast.FuncCallStmt:
		lowerExpr(s.Expr)
	case *ast.DoBlockStmt:
		lowerBlock(s.Stmts)
	case *ast.WhileStmt:
		lowerExpr(s.Condition)
		lowerBlock(s.Stmts)
	case *ast.RepeatStmt:
		lowerBlock(s.Stmts)
		lowerExpr(s.Condition)
	case *ast.IfStmt:
		lowerExpr(s.Condition)
		lowerBlock(s.Then)
		lowerBlock(s.Else)
	case *ast.NumberForStmt:
		lowerExpr(s.Init)
		lowerExpr(s.Limit)
		lowerExpr(s.Step)
		lowerBlock(s.Stmts)
	case *ast.FuncDefStmt:
		lowerExpr(s.Func)
	case *ast.ReturnStmt:
		lowerExprs(s.Exprs)
	case *ast.GenericForStmt:
		lowerExprs(s.Exprs)
		lowerBlock(s.Stmts)
		return lowerFor(s)
	}
	return s
}

func lowerExprs(es []ast.Expr) {
	for _, e := range es {
		lowerExpr(e)
	}
}

func lowerExpr(e ast.Expr) {
	switch e := e.(type) {
	case *ast.FunctionExpr:
		lowerBlock(e.Stmts)
	case *ast.AttrGetExpr:
		lowerExpr(e.Object)
		lowerExpr(e.Key)
	case *ast.TableExpr:
		for _, f := range e.Fields {
			lowerExpr(f.Key)
			lowerExpr(f.Value)
		}
	case *ast.FuncCallExpr:
		lowerExpr(e.Func)
		lowerExpr(e.Receiver)
		lowerExprs(e.Args)
	case *ast.LogicalOpExpr:
		lowerExpr(e.Lhs)
		lowerExpr(e.Rhs)
	case *ast.RelationalOpExpr:
		lowerExpr(e.Lhs)
		lowerExpr(e.Rhs)
	case *ast.StringConcatOpExpr:
		lowerExpr(e.Lhs)
		lowerExpr(e.Rhs)
	case *ast.ArithmeticOpExpr:
		lowerExpr(e.Lhs)
		lowerExpr(e.Rhs)
	case *ast.UnaryMinusOpExpr:
		lowerExpr(e.Expr)
	case *ast.UnaryNotOpExpr:
		lowerExpr(e.Expr)
	case *ast.UnaryLenOpExpr:
		lowerExpr(e.Expr)
	}
}

// at stamps a synthesised node with the loop's line so positions in errors
// raised by the iterator call point at the for statement.
func at[T ast.PositionHolder](n T, line int) T {
	n.SetLine(line)
	n.SetLastLine(line)
	return n
}

func ident(name string, line int) ast.Expr { return at(&ast.IdentExpr{Value: name}, line) }

func lowerFor(s *ast.GenericForStmt) ast.Stmt {
	ln := s.Line()
	call := at(&ast.FuncCallExpr{
		Func: ident(forGen, ln),
		Args: []ast.Expr{ident(forState, ln), ident(forCtl, ln)},
	}, ln)
	stop := at(&ast.IfStmt{
		Condition: at(&ast.RelationalOpExpr{Operator: "==", Lhs: ident(s.Names[0], ln), Rhs: at(&ast.NilExpr{}, ln)}, ln),
		Then:      []ast.Stmt{at(&ast.BreakStmt{}, ln)},
	}, ln)
	step := at(&ast.AssignStmt{Lhs: []ast.Expr{ident(forCtl, ln)}, Rhs: []ast.Expr{ident(s.Names[0], ln)}}, ln)
	body := make([]ast.Stmt, 0, len(s.Stmts)+3)
	body = append(body, at(&ast.LocalAssignStmt{Names: s.Names, Exprs: []ast.Expr{call}}, ln), stop, step)
	body = append(body, s.Stmts...)
	loop := at(&ast.WhileStmt{Condition: at(&ast.TrueExpr{}, ln), Stmts: body}, ln)
	loop.SetLastLine(s.LastLine())
	return at(&ast.DoBlockStmt{Stmts: []ast.Stmt{
		at(&ast.LocalAssignStmt{Names: []string{forGen, forState, forCtl}, Exprs: s.Exprs}, ln),
		loop,
	}}, ln)
}
