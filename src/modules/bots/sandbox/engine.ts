/*
 * The QuickJS WebAssembly module, compiled once per worker and instantiated once per strategy VM.
 * Each instance gets its own linear memory with a hard maximum: QuickJS's heap limit cannot count
 * bytes in a WebAssembly build (it has no malloc_usable_size there, so it counts allocations), so
 * the cap on the memory itself is what stops a memory bomb, and a runaway VM cannot take memory
 * from the others.
 */
import { readFile } from 'node:fs/promises';
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten-core';
import { MIN_VM_MEMORY_BYTES } from './protocol.ts';

const WASM_PAGE_BYTES = 65536;

/* WebAssembly is not in this project's TypeScript libs (no DOM); these are the parts used here. */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<object>;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** A VM's linear memory with a hard maximum; notes when the VM asked to grow past it. */
export class CappedMemory {
  readonly memory: WasmMemory;
  /** Set when a request to grow was refused; the VM resets it at the start of each step. */
  refused = false;

  constructor(maximumBytes: number) {
    const maximum = Math.ceil(Math.max(maximumBytes, MIN_VM_MEMORY_BYTES) / WASM_PAGE_BYTES);
    this.memory = new wasm.Memory({ initial: MIN_VM_MEMORY_BYTES / WASM_PAGE_BYTES, maximum });
    const grow = this.memory.grow.bind(this.memory);
    this.memory.grow = (deltaPages: number) => {
      try {
        return grow(deltaPages);
      } catch (error) {
        this.refused = true;
        throw error;
      }
    };
  }
}

export class QuickJSEngine {
  private constructor(
    private readonly variant: QuickJSSyncVariant,
    private readonly wasmModule: object,
  ) {}

  static async load(): Promise<QuickJSEngine> {
    // Its types describe the CommonJS build (default = the module); Node loads the ES build.
    const loaded: QuickJSSyncVariant | { default: QuickJSSyncVariant } = (
      await import('@jitl/quickjs-wasmfile-release-sync')
    ).default;
    const variant = isVariant(loaded) ? loaded : loaded.default;
    const bytes = await readFile(new URL(import.meta.resolve('@jitl/quickjs-wasmfile-release-sync/wasm')));
    return new QuickJSEngine(variant, await wasm.compile(bytes));
  }

  /** A fresh QuickJS instance whose whole memory may not grow past `memoryBytes`. */
  async instantiate(memoryBytes: number): Promise<{ quickjs: QuickJSWASMModule; memory: CappedMemory }> {
    const memory = new CappedMemory(memoryBytes);
    const variant = newVariant(this.variant, { wasmModule: this.wasmModule, wasmMemory: memory.memory });
    return { quickjs: await newQuickJSWASMModuleFromVariant(variant), memory };
  }
}

function isVariant(value: QuickJSSyncVariant | { default: QuickJSSyncVariant }): value is QuickJSSyncVariant {
  return 'importFFI' in value;
}
