import type { Command } from '../command.js';
import { chatCommand } from './chat.js';
import { evalNeedleCommand } from './eval-needle.js';
import { evalPplCommand } from './eval-ppl.js';
import { generateCommand } from './generate.js';
import { planCommand } from './plan.js';
import { policySelectCommand } from './policy-select.js';

/** The commands of the public `kvkit` bin, in the order help lists them. */
export const PUBLIC_COMMANDS: readonly Command[] = [generateCommand, chatCommand, planCommand, evalPplCommand, evalNeedleCommand, policySelectCommand];

export { chatCommand, evalNeedleCommand, evalPplCommand, generateCommand, planCommand, policySelectCommand };
