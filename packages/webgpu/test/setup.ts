// Without a GPU, Dawn can run on SwiftShader's Vulkan driver, shipped with Debian's chromium package
// (`.ci/run` installs it). Point the Vulkan loader at it unless the environment already chose a driver.
import { existsSync } from 'node:fs';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
