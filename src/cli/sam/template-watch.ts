import { dirname, resolve, sep } from 'node:path';
import { FolderWatcher } from '../dev/folder-watcher.js';
import { deployTemplate, templateCodeFolders, type TemplateDeployOptions } from './template-deploy.js';
import type { StackClients } from './stack-clients.js';

/**
 * For `flint dev --template`: deploys the template, then redeploys it whenever a file in the
 * template's folder or in one of its CodeUri / ContentUri folders is saved. Each redeploy changes
 * only what changed (unchanged code keeps its CodeSha256 and is not uploaded). A failed redeploy is
 * reported in one line and the watch goes on. Returns a function that stops watching.
 */
export async function watchTemplate(
  opts: TemplateDeployOptions,
  clients: StackClients,
  io: { out: (line: string) => void; err: (line: string) => void },
  quietMs = 50,
): Promise<() => void> {
  let running: Promise<void> = Promise.resolve();
  let again = false;
  const deploy = async () => {
    try {
      await deployTemplate(opts, clients, io.out);
    } catch (err) {
      io.err(`error: ${(err as Error).message.split('\n')[0]}`);
    }
  };
  await deploy();
  const all = [...new Set([dirname(resolve(opts.template)), ...templateCodeFolders(opts, clients)])];
  // A folder inside another watched one is already watched (the watch is recursive).
  const folders = all.filter((d) => !all.some((o) => o !== d && d.startsWith(o + sep)));
  const watchers = folders.map((dir) => new FolderWatcher(dir, {
    quietMs,
    onChange: () => {
      // One deploy at a time; changes during a deploy make exactly one more.
      if (again) return;
      again = true;
      running = running.then(() => {
        again = false;
        return deploy();
      });
    },
    onError: (err) => io.err(`error: ${err.message}`),
  }));
  return () => {
    for (const w of watchers) w.close();
  };
}
