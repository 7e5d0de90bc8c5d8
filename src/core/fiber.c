/*
 * fiber: the stacks and the switch between them.
 *
 * The switch is six pushes, a stack pointer swap and six pops (the callee-saved registers of
 * the x86-64 System V ABI); glibc's swapcontext would also save and restore the signal mask,
 * a system call on every switch, and a request switches four times. A new fiber's stack is
 * laid out so that the first switch "returns" into fiber_entry.
 *
 * Under AddressSanitizer every switch is announced (__sanitizer_start_switch_fiber before,
 * __sanitizer_finish_switch_fiber after), so ASan knows which stack is live.
 */
#include "core/fiber.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define FIBER_ASAN 1
#else
#define FIBER_ASAN 0
#endif

#if !defined(__x86_64__)
#error "src/core/fiber.c has a context switch for x86-64 only: add one for this architecture"
#endif

#define STACK_BYTES (256 * 1024)
#define CACHED_STACKS 32

struct sb_fiber {
    void *sp;                 /* the fiber's stack pointer while it is not running */
    void *resumer_sp;         /* the resumer's while the fiber runs */
    char *mapping;            /* guard page, then the stack */
    void (*fn)(void *arg);
    void *arg;
    void *slots[SB_FIBER_SLOTS];
    bool finished;
    /* AddressSanitizer's view of the two stacks */
    void *fake_stack;
    void *resumer_fake_stack;
    const void *resumer_bottom;
    size_t resumer_size;
};

/* Saves the callee-saved registers and the stack pointer into *save, loads load's. */
void studybase_fiber_switch(void **save, void *load);
__asm__(".text\n"
        ".globl studybase_fiber_switch\n"
        ".hidden studybase_fiber_switch\n"
        ".type studybase_fiber_switch, @function\n"
        "studybase_fiber_switch:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size studybase_fiber_switch, .-studybase_fiber_switch\n");

static __thread struct sb_fiber *running;
static __thread struct sb_fiber *cache[CACHED_STACKS];
static __thread int cached;

static size_t page_size(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

static char *stack_bottom(const struct sb_fiber *f)
{
    return f->mapping + page_size();
}

/* ---- announcing switches to AddressSanitizer (no-ops otherwise) ----------------------- */

static void announce_entering(struct sb_fiber *f)
{
#if FIBER_ASAN
    __sanitizer_start_switch_fiber(&f->resumer_fake_stack, stack_bottom(f), STACK_BYTES);
#else
    (void)f;
#endif
}

static void announce_back_in_resumer(struct sb_fiber *f)
{
#if FIBER_ASAN
    __sanitizer_finish_switch_fiber(f->resumer_fake_stack, NULL, NULL);
#else
    (void)f;
#endif
}

static void announce_running_in_fiber(struct sb_fiber *f, bool first_time)
{
#if FIBER_ASAN
    __sanitizer_finish_switch_fiber(first_time ? NULL : f->fake_stack, &f->resumer_bottom, &f->resumer_size);
#else
    (void)f;
    (void)first_time;
#endif
}

static void announce_leaving_fiber(struct sb_fiber *f, bool for_good)
{
#if FIBER_ASAN
    __sanitizer_start_switch_fiber(for_good ? NULL : &f->fake_stack, f->resumer_bottom, f->resumer_size);
#else
    (void)f;
    (void)for_good;
#endif
}

/* ---- life of a fiber --------------------------------------------------------------------- */

static void fiber_entry(void) __attribute__((noreturn));
static void fiber_entry(void)
{
    struct sb_fiber *f = running;
    announce_running_in_fiber(f, true);
    f->fn(f->arg);
    f->finished = true;
    announce_leaving_fiber(f, true);
    studybase_fiber_switch(&f->sp, f->resumer_sp);
    __builtin_unreachable();
}

/* The stack as the first switch into the fiber expects it: six zero registers, then
 * fiber_entry as the return address, placed so that fiber_entry starts with the stack
 * alignment of a called function (rsp + 8 a multiple of 16). */
static void lay_out_first_frame(struct sb_fiber *f)
{
    uintptr_t top = ((uintptr_t)stack_bottom(f) + STACK_BYTES) & ~(uintptr_t)15;
    void **frame = (void **)(top - 16);
    frame[0] = (void *)fiber_entry;   /* popped by ret */
    frame[1] = NULL;                  /* where fiber_entry's return address would be */
    frame -= 6;
    memset(frame, 0, 6 * sizeof *frame);
    f->sp = frame;
}

static struct sb_fiber *allocate_fiber(void)
{
    if (cached > 0)
        return cache[--cached];
    struct sb_fiber *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    size_t guard = page_size();
    void *mapping = mmap(NULL, guard + STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                         -1, 0);
    if (mapping == MAP_FAILED) {
        free(f);
        return NULL;
    }
    mprotect(mapping, guard, PROT_NONE);
    f->mapping = mapping;
    return f;
}

static void release_fiber(struct sb_fiber *f)
{
#if FIBER_ASAN
    __asan_unpoison_memory_region(stack_bottom(f), STACK_BYTES);
#endif
    if (cached < CACHED_STACKS) {
        cache[cached++] = f;
        return;
    }
    munmap(f->mapping, page_size() + STACK_BYTES);
    free(f);
}

struct sb_fiber *sb_fiber_new(void (*fn)(void *arg), void *arg)
{
    struct sb_fiber *f = allocate_fiber();
    if (!f)
        return NULL;
    char *mapping = f->mapping;
    memset(f, 0, sizeof *f);
    f->mapping = mapping;
    f->fn = fn;
    f->arg = arg;
    lay_out_first_frame(f);
    return f;
}

bool sb_fiber_resume(struct sb_fiber *f)
{
    struct sb_fiber *outer = running;
    running = f;
    announce_entering(f);
    studybase_fiber_switch(&f->resumer_sp, f->sp);
    announce_back_in_resumer(f);
    running = outer;
    if (!f->finished)
        return false;
    release_fiber(f);
    return true;
}

void sb_fiber_yield(void)
{
    struct sb_fiber *f = running;
    announce_leaving_fiber(f, false);
    studybase_fiber_switch(&f->sp, f->resumer_sp);
    announce_running_in_fiber(f, false);
}

struct sb_fiber *sb_fiber_current(void)
{
    return running;
}

void **sb_fiber_slot(struct sb_fiber *fiber, enum sb_fiber_slot which)
{
    return &fiber->slots[which];
}

void sb_fiber_release_cache(void)
{
    while (cached > 0) {
        struct sb_fiber *f = cache[--cached];
        munmap(f->mapping, page_size() + STACK_BYTES);
        free(f);
    }
}
