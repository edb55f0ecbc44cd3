// The public API (src/index.ts): every export carries TSDoc, so an editor shows what it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ts from 'typescript';
import { join } from 'node:path';
import { ROOT } from './helpers.ts';

const INDEX = join(ROOT, 'src/index.ts');

test('every export of src/index.ts has a TSDoc comment', () => {
  const program = ts.createProgram([INDEX], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, allowImportingTsExtensions: true, noEmit: true, strict: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(INDEX)!)!;
  const exports = checker.getExportsOfModule(moduleSymbol);
  assert.ok(exports.length > 40, `found ${exports.length} exports`);
  const undocumented = exports
    .filter((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return ts.displayPartsToString(target.getDocumentationComment(checker)).trim() === '';
    })
    .map((symbol) => symbol.name)
    .sort();
  assert.deepEqual(undocumented, []);
});
