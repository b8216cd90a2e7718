/** Locates the project root (the folder with Pulumi.yaml), so code runs the same from source or from bin/. */
import * as fs from "node:fs";
import * as path from "node:path";

export function findProjectRoot(start: string = __dirname): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir)
      throw new Error(`no Pulumi.yaml above ${start}: run lockstep from its project checkout`);
  }
}

export const PROJECT_ROOT = findProjectRoot();
