// Finds the README's runnable CDK examples: ```ts blocks whose first line is `// example: <name>`.
export interface ReadmeExample {
  readonly name: string;
  readonly code: string;
}

export function readmeExamples(markdown: string): ReadmeExample[] {
  const examples: ReadmeExample[] = [];
  for (const match of markdown.matchAll(/^```ts\n(\/\/ example: ([a-z0-9-]+)\n[\s\S]*?)^```$/gm)) {
    examples.push({ name: match[2] as string, code: match[1] as string });
  }
  return examples;
}
