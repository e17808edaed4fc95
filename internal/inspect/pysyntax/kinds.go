package pysyntax

import (
	"sync"
	"unsafe"

	tree_sitter "github.com/tree-sitter/go-tree-sitter"
	tree_sitter_python "github.com/tree-sitter/tree-sitter-python/bindings/go"
)

// Kind is the kind of a node: one of the grammar's node types that the rules
// use, [KindError] for a syntax error, or [KindOther].
type Kind uint8

// The kinds of the nodes the rules look at; the names are tree-sitter-python's.
const (
	KindInvalid Kind = iota // the zero Node
	KindOther               // any node type not listed here
	KindError               // ERROR: text tree-sitter could not parse
	KindModule
	KindIdentifier
	KindAttribute
	KindCall
	KindArgumentList
	KindKeywordArgument
	KindString
	KindStringStart
	KindStringContent
	KindStringEnd
	KindEscapeSequence
	KindInterpolation
	KindConcatenatedString
	KindInteger
	KindFloat
	KindTrue
	KindFalse
	KindNone
	KindBinaryOperator
	KindUnaryOperator
	KindBooleanOperator
	KindComparisonOperator
	KindNotOperator
	KindConditionalExpression
	KindParenthesizedExpression
	KindList
	KindTuple
	KindSet
	KindDictionary
	KindPair
	KindSubscript
	KindSlice
	KindListSplat
	KindDictionarySplat
	KindExpressionList
	KindPatternList
	KindTuplePattern
	KindListPattern
	KindAssignment
	KindAugmentedAssignment
	KindNamedExpression
	KindExpressionStatement
	KindImportStatement
	KindImportFromStatement
	KindFutureImportStatement
	KindAliasedImport
	KindDottedName
	KindWildcardImport
	KindRelativeImport
	KindExecStatement
	KindPrintStatement
	KindGeneratorExpression
	KindListComprehension
	KindSetComprehension
	KindDictionaryComprehension
	KindForInClause
	KindIfClause
	KindLambda
	KindFunctionDefinition
	KindClassDefinition
	KindDecoratedDefinition
	KindDecorator
	KindParameters
	KindDefaultParameter
	KindTypedParameter
	KindTypedDefaultParameter
	KindWithStatement
	KindWithClause
	KindWithItem
	KindAsPattern
	KindAsPatternTarget
	KindBlock
	KindReturnStatement
	KindAwait
	KindForStatement
	KindGlobalStatement
	// Operator tokens (anonymous nodes kept because they carry a field).
	KindPlus
	KindMinus
	KindStar
	KindSlash
	KindPercent
	KindCaret
	KindPlusEq
	KindOtherOperator
	kindCount
)

var kindNames = map[string]Kind{
	"module": KindModule, "identifier": KindIdentifier, "attribute": KindAttribute, "call": KindCall,
	"argument_list": KindArgumentList, "keyword_argument": KindKeywordArgument, "string": KindString,
	"string_start": KindStringStart, "string_content": KindStringContent, "string_end": KindStringEnd,
	"escape_sequence": KindEscapeSequence, "interpolation": KindInterpolation,
	"concatenated_string": KindConcatenatedString, "integer": KindInteger, "float": KindFloat,
	"true": KindTrue, "false": KindFalse, "none": KindNone, "binary_operator": KindBinaryOperator,
	"unary_operator": KindUnaryOperator, "boolean_operator": KindBooleanOperator,
	"comparison_operator": KindComparisonOperator, "not_operator": KindNotOperator,
	"conditional_expression":   KindConditionalExpression,
	"parenthesized_expression": KindParenthesizedExpression, "list": KindList, "tuple": KindTuple,
	"set": KindSet, "dictionary": KindDictionary, "pair": KindPair, "subscript": KindSubscript,
	"slice": KindSlice, "list_splat": KindListSplat, "dictionary_splat": KindDictionarySplat,
	"expression_list": KindExpressionList, "pattern_list": KindPatternList,
	"tuple_pattern": KindTuplePattern, "list_pattern": KindListPattern, "assignment": KindAssignment,
	"augmented_assignment": KindAugmentedAssignment, "named_expression": KindNamedExpression,
	"expression_statement": KindExpressionStatement, "import_statement": KindImportStatement,
	"import_from_statement": KindImportFromStatement, "future_import_statement": KindFutureImportStatement,
	"aliased_import": KindAliasedImport, "dotted_name": KindDottedName,
	"wildcard_import": KindWildcardImport, "relative_import": KindRelativeImport,
	"exec_statement": KindExecStatement, "print_statement": KindPrintStatement,
	"generator_expression": KindGeneratorExpression, "list_comprehension": KindListComprehension,
	"set_comprehension": KindSetComprehension, "dictionary_comprehension": KindDictionaryComprehension,
	"for_in_clause": KindForInClause, "if_clause": KindIfClause, "lambda": KindLambda,
	"function_definition": KindFunctionDefinition, "class_definition": KindClassDefinition,
	"decorated_definition": KindDecoratedDefinition, "decorator": KindDecorator,
	"parameters": KindParameters, "default_parameter": KindDefaultParameter,
	"typed_parameter": KindTypedParameter, "typed_default_parameter": KindTypedDefaultParameter,
	"with_statement": KindWithStatement, "with_clause": KindWithClause, "with_item": KindWithItem,
	"as_pattern": KindAsPattern, "as_pattern_target": KindAsPatternTarget, "block": KindBlock,
	"return_statement": KindReturnStatement, "await": KindAwait, "for_statement": KindForStatement,
	"global_statement": KindGlobalStatement,
}

var operatorNames = map[string]Kind{
	"+": KindPlus, "-": KindMinus, "*": KindStar, "/": KindSlash, "%": KindPercent, "^": KindCaret,
	"+=": KindPlusEq,
}

// Field is the name under which a node hangs from its parent.
type Field uint8

// The fields the rules use; the names are tree-sitter-python's.
const (
	FieldNone Field = iota
	FieldOther
	FieldFunction
	FieldArguments
	FieldObject
	FieldAttribute
	FieldLeft
	FieldRight
	FieldOperator
	FieldName
	FieldAlias
	FieldValue
	FieldModuleName
	FieldSubscript
	FieldKey
	FieldBody
	FieldExpression
	FieldCode
	FieldArgument
	FieldParameters
	FieldCondition
	FieldAlternative
	FieldConsequence
	FieldDefinition
	FieldOperators
	FieldFormatSpecifier
)

var fieldNames = map[string]Field{
	"function": FieldFunction, "arguments": FieldArguments, "object": FieldObject,
	"attribute": FieldAttribute, "left": FieldLeft, "right": FieldRight, "operator": FieldOperator,
	"name": FieldName, "alias": FieldAlias, "value": FieldValue, "module_name": FieldModuleName,
	"subscript": FieldSubscript, "key": FieldKey, "body": FieldBody, "expression": FieldExpression,
	"code": FieldCode, "argument": FieldArgument, "parameters": FieldParameters,
	"condition": FieldCondition, "alternative": FieldAlternative, "consequence": FieldConsequence,
	"definition": FieldDefinition, "operators": FieldOperators, "format_specifier": FieldFormatSpecifier,
}

// errorSymbol is tree-sitter's ts_builtin_sym_error.
const errorSymbol = 0xFFFF

var (
	// operatorParents marks the symbols whose anonymous children may carry
	// a field (the operator of an operation); C memory reads it, so it
	// holds no pointers.
	operatorParents [1 << 16]uint8
	kindOf          [1 << 16]Kind
	fieldTable      []Field
	symbolNames     []string
	commentSymbol   uint16
	langOnce        sync.Once
	langPtr         unsafe.Pointer
)

func language() unsafe.Pointer {
	langOnce.Do(func() { langPtr = tree_sitter_python.Language() })
	return langPtr
}

func init() {
	lang := tree_sitter.NewLanguage(language())
	n := lang.NodeKindCount()
	symbolNames = make([]string, n)
	for id := range uint16(n) {
		name := lang.NodeKindForId(id)
		symbolNames[id] = name
		k := KindOther
		if lang.NodeKindIsNamed(id) {
			if kk, ok := kindNames[name]; ok {
				k = kk
			}
		} else if kk, ok := operatorNames[name]; ok {
			k = kk
		} else {
			k = KindOtherOperator
		}
		kindOf[id] = k
		switch name {
		case "binary_operator", "augmented_assignment", "unary_operator", "boolean_operator",
			"comparison_operator", "not_operator":
			if lang.NodeKindIsNamed(id) {
				operatorParents[id] = 1
			}
		}
	}
	kindOf[errorSymbol] = KindError
	if id := lang.IdForNodeKind("ERROR", true); id != 0 {
		kindOf[id] = KindError
	}
	commentSymbol = lang.IdForNodeKind("comment", true)
	fc := lang.FieldCount()
	fieldTable = make([]Field, fc+1)
	for id := uint16(1); uint32(id) <= fc; id++ {
		f := FieldOther
		if ff, ok := fieldNames[lang.FieldNameForId(id)]; ok {
			f = ff
		}
		fieldTable[id] = f
	}
}

func fieldOf(id uint16) Field {
	if int(id) < len(fieldTable) {
		return fieldTable[id]
	}
	return FieldOther
}

func symbolName(sym uint16) string {
	if sym == errorSymbol {
		return "ERROR"
	}
	if int(sym) < len(symbolNames) {
		return symbolNames[sym]
	}
	return "?"
}
