// The props audit (issue 19): reads lib/**/*.ts with the TypeScript compiler's parser (no type checking, so it
// takes well under a second) and reports how close each construct's props are to the CDK's own construct
// library: every prop documented, every optional prop with `@default`, no prop typed by a concrete construct
// class where an interface exists, no instance type as a string, every construct validating its own props.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import ts from 'typescript';

/** What a prop or a construct can fall short of; a violation is `<Interface>.<prop>: <kind>` or `<Class>: <kind>`. */
export type ViolationKind =
  | 'undocumented'
  | 'no-default'
  | 'concrete-class'
  | 'string-instance-type'
  | 'no-validation';

export interface AuditCounts {
  readonly propsInterfaces: number;
  readonly props: number;
  readonly required: number;
  readonly documented: number;
  readonly optional: number;
  readonly optionalWithDefault: number;
  readonly concreteClassTyped: number;
  readonly stringInstanceTypes: number;
  readonly constructs: number;
  readonly constructsValidating: number;
}

export interface AuditResult {
  readonly counts: AuditCounts;
  /** Sorted; each names the interface and prop (or the class) and the kind. */
  readonly violations: readonly string[];
}

interface Prop {
  readonly owner: string;
  readonly name: string;
  readonly optional: boolean;
  readonly documented: boolean;
  readonly hasDefault: boolean;
  readonly type: ts.TypeNode | undefined;
  readonly file: ts.SourceFile;
}

function libFiles(libDir: string): string[] {
  return fs
    .readdirSync(libDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.join(libDir, f))
    .sort();
}

const isExported = (node: ts.Node) =>
  ts.canHaveModifiers(node) &&
  (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** A prop is documented when its JSDoc has a description, not only tags. */
function docOf(member: ts.Node): { documented: boolean; hasDefault: boolean } {
  const docs = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc);
  const documented = docs.some((d) => ts.getTextOfJSDocComment(d.comment)?.trim());
  const hasDefault = ts.getJSDocTags(member).some((t) => t.tagName.text === 'default');
  return { documented, hasDefault };
}

/**
 * Whether `aws-cdk-lib/<module>` declares an interface `I<name>`: then a prop typed by the class `<name>` shuts
 * out imported resources (`fromXxxAttributes` returns the interface).
 */
function cdkInterfaceExists(cdkModule: string, name: string, cache: Map<string, string>): boolean {
  let text = cache.get(cdkModule);
  if (text === undefined) {
    const dir = path.join(
      path.dirname(createRequire(import.meta.url).resolve('aws-cdk-lib/package.json')),
      cdkModule,
      'lib',
    );
    text = fs.existsSync(dir)
      ? fs
          .readdirSync(dir, { recursive: true, encoding: 'utf8' })
          .filter((f) => f.endsWith('.d.ts'))
          .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
          .join('\n')
      : '';
    cache.set(cdkModule, text);
  }
  // A class with an interface of its own name (IFargateService, IEventSourceMapping, IAutoScalingGroup), or one
  // that implements an interface from elsewhere (s3assets.Asset implements IAsset of aws-cdk-lib's core).
  return (
    new RegExp(`class ${name} `).test(text) &&
    (new RegExp(`interface I${name}\\b`).test(text) || new RegExp(`class ${name} [^{]*implements`).test(text))
  );
}

/** The namespace imports of a file: `import * as ecs from 'aws-cdk-lib/aws-ecs'` gives ecs -> aws-ecs. */
function cdkNamespaces(file: ts.SourceFile): Map<string, string> {
  const namespaces = new Map<string, string>();
  for (const statement of file.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const match = /^aws-cdk-lib\/(.+)$/.exec(statement.moduleSpecifier.text);
    const bindings = statement.importClause?.namedBindings;
    if (match?.[1] && bindings && ts.isNamespaceImport(bindings))
      namespaces.set(bindings.name.text, match[1]);
  }
  return namespaces;
}

export function auditProps(libDir: string): AuditResult {
  const files = libFiles(libDir).map((f) =>
    ts.createSourceFile(f, fs.readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true),
  );
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  const constructClasses = new Map<string, { node: ts.ClassDeclaration; file: ts.SourceFile }>();
  for (const file of files) {
    for (const statement of file.statements) {
      if (ts.isInterfaceDeclaration(statement)) interfaces.set(statement.name.text, statement);
      if (
        ts.isClassDeclaration(statement) &&
        statement.name &&
        isExported(statement) &&
        statement.heritageClauses?.some((h) => h.types.some((t) => t.expression.getText() === 'Construct'))
      ) {
        constructClasses.set(statement.name.text, { node: statement, file });
      }
    }
  }

  const props: Prop[] = [];
  const membersOf = (
    decl: ts.InterfaceDeclaration,
    owner: string,
    forceOptional: boolean,
    seen: Set<string>,
  ): void => {
    const file = decl.getSourceFile();
    for (const member of decl.members) {
      if (!ts.isPropertySignature(member) || seen.has(member.name.getText())) continue;
      seen.add(member.name.getText());
      props.push({
        owner,
        name: member.name.getText(),
        optional: forceOptional || member.questionToken !== undefined,
        ...docOf(member),
        type: member.type,
        file,
      });
    }
    // Inherited props of lib/'s own interfaces count as the owner's (LogPipelineProps extends
    // Partial<PipelineConfig>: each context key is a prop of LogPipeline, optional, documented where declared).
    // Interfaces from outside lib/ (StackProps) are the CDK's and are not counted.
    for (const heritage of decl.heritageClauses ?? []) {
      for (const base of heritage.types) {
        let name = base.expression.getText();
        let partial = forceOptional;
        const arg = base.typeArguments?.[0];
        if (name === 'Partial' && arg && ts.isTypeReferenceNode(arg)) {
          name = arg.typeName.getText();
          partial = true;
        }
        const parent = interfaces.get(name);
        if (parent) membersOf(parent, owner, partial, seen);
      }
    }
  };
  for (const [name, decl] of interfaces) {
    if (name.endsWith('Props') && isExported(decl)) membersOf(decl, name, false, new Set());
  }

  const violations: string[] = [];
  const cache = new Map<string, string>();
  let concrete = 0;
  let stringInstanceTypes = 0;
  for (const prop of props) {
    const id = `${prop.owner}.${prop.name}`;
    if (!prop.documented) violations.push(`${id}: undocumented`);
    if (prop.optional && !prop.hasDefault) violations.push(`${id}: no-default`);
    const namespaces = cdkNamespaces(prop.file);
    let isConcrete = false;
    const visit = (node: ts.Node): void => {
      if (ts.isTypeReferenceNode(node)) {
        const typeName = node.typeName;
        if (ts.isIdentifier(typeName) && constructClasses.has(typeName.text)) isConcrete = true;
        if (ts.isQualifiedName(typeName) && ts.isIdentifier(typeName.left)) {
          const cdkModule = namespaces.get(typeName.left.text);
          if (cdkModule && cdkInterfaceExists(cdkModule, typeName.right.text, cache)) isConcrete = true;
        }
      }
      ts.forEachChild(node, visit);
    };
    if (prop.type) visit(prop.type);
    if (isConcrete) {
      concrete++;
      violations.push(`${id}: concrete-class`);
    }
    if (/instancetype$/i.test(prop.name) && prop.type?.kind === ts.SyntaxKind.StringKeyword) {
      stringInstanceTypes++;
      violations.push(`${id}: string-instance-type`);
    }
  }

  let validating = 0;
  for (const [name, { node, file }] of constructClasses) {
    const checks = file.statements
      .filter((s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && isExported(s))
      .map((s) => s.name?.text ?? '')
      .filter((n) => /^check\w*Props$/.test(n));
    const ctor = node.members.find(ts.isConstructorDeclaration);
    let called = false;
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && checks.includes(n.expression.text))
        called = true;
      ts.forEachChild(n, visit);
    };
    if (ctor?.body) visit(ctor.body);
    if (called) validating++;
    else violations.push(`${name}: no-validation`);
  }

  return {
    counts: {
      propsInterfaces: new Set(props.map((p) => p.owner)).size,
      props: props.length,
      required: props.filter((p) => !p.optional).length,
      documented: props.filter((p) => p.documented).length,
      optional: props.filter((p) => p.optional).length,
      optionalWithDefault: props.filter((p) => p.optional && p.hasDefault).length,
      concreteClassTyped: concrete,
      stringInstanceTypes,
      constructs: constructClasses.size,
      constructsValidating: validating,
    },
    violations: violations.sort(),
  };
}
