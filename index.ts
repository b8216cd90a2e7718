import { definePlatform } from "./program";

const platform = definePlatform();

export const release = platform.release;
export const components = platform.components;
export const workloads = platform.workloads;
export const waves = platform.waves;
export const consoleLive = platform.consoleLive;
export const upgradeWindow = platform.upgradeWindow;
export const verification = platform.verification;
