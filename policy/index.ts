import { PolicyPack } from "@pulumi/policy";
import { ALL_POLICIES } from "./policies";

new PolicyPack("lockstep", { policies: ALL_POLICIES });
