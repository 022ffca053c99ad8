/**
 * What to tell a developer once a function waits for a debugger on the host's 127.0.0.1:`port`:
 * Chrome DevTools' discovery target and a VS Code launch configuration for it. Node.js's inspector
 * waits before the runtime starts, so breakpoints set on attach are hit by the first invocation.
 */
export function attachLines(functionName: string, port: number): string[] {
  const vscode = JSON.stringify({ type: 'node', request: 'attach', name: `flint: ${functionName}`, address: '127.0.0.1', port, continueOnAttach: true });
  return [
    `debugger: ${functionName} waits for a debugger on 127.0.0.1:${port} (timeouts wait while one is attached)`,
    `  Chrome: open chrome://inspect, add 127.0.0.1:${port} under "Configure…", then "inspect" the target`,
    `  VS Code: add to launch.json: ${vscode}`,
  ];
}
