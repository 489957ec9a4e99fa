/** What the seven models have in common. */
export const TRAINED = 'A 1.6-1.8M-parameter Llama (d 128, 8 layers, 4 query heads, context 2048) trained on TinyStories to retrieve facts';
