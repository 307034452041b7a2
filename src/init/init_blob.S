/* The corral-init program (corral_init.c), embedded in corral so that the in-container PID 1
 * needs no file on the host or in the image: see init/embedded.hpp. */
    .section .rodata
    .global corral_init_blob
    .global corral_init_blob_end
    .balign 16
corral_init_blob:
    .incbin CORRAL_INIT_PATH
corral_init_blob_end:
    .section .note.GNU-stack,"",@progbits
