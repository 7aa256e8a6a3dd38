/**
 * dall-e-3 rewrites every prompt and returns the rewrite as `revised_prompt`. The simulated
 * rewrite is deterministic and visibly different from the prompt, so a test can tell whether a
 * client stored the revised prompt or the one it sent.
 */
export function revisedPrompt(prompt: string): string {
  return `A detailed digital illustration of ${prompt.trim()}`;
}
