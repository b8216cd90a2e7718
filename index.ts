import { definePlatform } from "./program";

// The program reads what this stack last deployed before it declares anything, so it is asynchronous:
// Pulumi runs an exported function and takes the object it resolves to as the stack's outputs.
export = async () => {
  const platform = await definePlatform();
  return {
    release: platform.release,
    components: platform.components,
    workloads: platform.workloads,
    waves: platform.waves,
    consoleLive: platform.consoleLive,
    upgradeWindow: platform.upgradeWindow,
    databases: platform.databases,
    restorePoint: platform.restorePoint,
    restoreDrill: platform.restoreDrill,
    verification: platform.verification,
  };
};
