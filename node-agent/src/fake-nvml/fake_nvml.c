/*
 * A fake libnvidia-ml.so.1 for tests and the GPU node simulator: NVML's real function names, C types and struct
 * layouts, answering from a text file that describes one simulated node, so the node agent's JNA bindings run
 * unchanged against it.
 *
 * ABI reference: NVIDIA's nvml.h as vendored unchanged in NVIDIA/go-nvml gen/nvml/nvml.h at commit 2f9e261f (CUDA
 * 13.3 header, NVML_API_VERSION 13). Only the subset the agent calls is declared here, copied from that header with
 * the same names; the _Static_asserts below pin the sizes and offsets the header gives on x86_64 and aarch64 (LP64).
 *
 * The state file: its path is the environment variable QUARTET_FAKE_NVML_STATE. It is read at nvmlInit_v2 and again
 * by nvmlDeviceGetCount_v2 whenever the file was replaced (the simulator writes a temporary file and renames it), so
 * a caller that starts each pass with nvmlDeviceGetCount_v2, as the agent does, sees the node as it is. Handles taken
 * before a reload then answer for the new state. Lines, fields separated by blanks, '#' starts a comment:
 *
 *   gpu <index> <uuid> <memoryMiB> <migCurrent 0|1> <migPending 0|1> <name, rest of the line>
 *   profile <gpu> <profileIndex> <profileId> <sliceCount> <instanceCount> <multiprocessors> <memorySizeMB>
 *           <placements start:size,start:size,...>                                          (one line)
 *   gi <gpu> <giId> <profileId> <start> <size>
 *   mig <gpu> <slot> <giId> <ciId> <uuid> <pids: pid,pid,... or ->
 *
 * gpu lines come first, in index order; the others name a GPU already declared.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- from nvml.h (go-nvml gen/nvml/nvml.h @2f9e261f) ---- */
#define DECLDIR
typedef enum nvmlReturn_enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_NO_PERMISSION = 4,
    NVML_ERROR_ALREADY_INITIALIZED = 5,
    NVML_ERROR_NOT_FOUND = 6,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_INSUFFICIENT_POWER = 8,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_TIMEOUT = 10,
    NVML_ERROR_IRQ_ISSUE = 11,
    NVML_ERROR_LIBRARY_NOT_FOUND = 12,
    NVML_ERROR_FUNCTION_NOT_FOUND = 13,
    NVML_ERROR_CORRUPTED_INFOROM = 14,
    NVML_ERROR_GPU_IS_LOST = 15,
    NVML_ERROR_RESET_REQUIRED = 16,
    NVML_ERROR_OPERATING_SYSTEM = 17,
    NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
    NVML_ERROR_IN_USE = 19,
    NVML_ERROR_MEMORY = 20,
    NVML_ERROR_NO_DATA = 21,
    NVML_ERROR_VGPU_ECC_NOT_SUPPORTED = 22,
    NVML_ERROR_INSUFFICIENT_RESOURCES = 23,
    NVML_ERROR_FREQ_NOT_SUPPORTED = 24,
    NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
    NVML_ERROR_DEPRECATED = 26,
    NVML_ERROR_NOT_READY = 27,
    NVML_ERROR_GPU_NOT_FOUND = 28,
    NVML_ERROR_INVALID_STATE = 29,
    NVML_ERROR_RESET_TYPE_NOT_SUPPORTED = 30,
    NVML_ERROR_UNKNOWN = 999
} nvmlReturn_t;

typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct nvmlGpuInstance_st *nvmlGpuInstance_t;

#define NVML_DEVICE_NAME_V2_BUFFER_SIZE 96
#define NVML_DEVICE_MIG_DISABLE 0x0
#define NVML_DEVICE_MIG_ENABLE 0x1
#define NVML_GPU_INSTANCE_PROFILE_COUNT 0x12
#define NVML_STRUCT_VERSION(data, ver) (unsigned int)(sizeof(nvml##data##_v##ver##_t) | (ver << 24U))

typedef struct nvmlMemory_st {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_t;

typedef struct nvmlProcessInfo_v2_st {
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
} nvmlProcessInfo_v2_t;
typedef nvmlProcessInfo_v2_t nvmlProcessInfo_t;

typedef struct nvmlGpuInstancePlacement_st {
    unsigned int start;
    unsigned int size;
} nvmlGpuInstancePlacement_t;

typedef struct nvmlGpuInstanceProfileInfo_st {
    unsigned int id;
    unsigned int isP2pSupported;
    unsigned int sliceCount;
    unsigned int instanceCount;
    unsigned int multiprocessorCount;
    unsigned int copyEngineCount;
    unsigned int decoderCount;
    unsigned int encoderCount;
    unsigned int jpegCount;
    unsigned int ofaCount;
    unsigned long long memorySizeMB;
} nvmlGpuInstanceProfileInfo_t;

typedef struct nvmlGpuInstanceProfileInfo_v2_st {
    unsigned int version;
    unsigned int id;
    unsigned int isP2pSupported;
    unsigned int sliceCount;
    unsigned int instanceCount;
    unsigned int multiprocessorCount;
    unsigned int copyEngineCount;
    unsigned int decoderCount;
    unsigned int encoderCount;
    unsigned int jpegCount;
    unsigned int ofaCount;
    unsigned long long memorySizeMB;
    char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
} nvmlGpuInstanceProfileInfo_v2_t;
#define nvmlGpuInstanceProfileInfo_v2 NVML_STRUCT_VERSION(GpuInstanceProfileInfo, 2)

typedef struct nvmlGpuInstanceInfo_st {
    nvmlDevice_t device;
    unsigned int id;
    unsigned int profileId;
    nvmlGpuInstancePlacement_t placement;
} nvmlGpuInstanceInfo_t;
/* ---- end of nvml.h ---- */

_Static_assert(sizeof(nvmlMemory_t) == 24, "nvmlMemory_t");
_Static_assert(sizeof(nvmlProcessInfo_t) == 24 && offsetof(nvmlProcessInfo_t, gpuInstanceId) == 16, "nvmlProcessInfo_t");
_Static_assert(sizeof(nvmlGpuInstancePlacement_t) == 8, "nvmlGpuInstancePlacement_t");
_Static_assert(sizeof(nvmlGpuInstanceProfileInfo_t) == 48 && offsetof(nvmlGpuInstanceProfileInfo_t, memorySizeMB) == 40,
               "nvmlGpuInstanceProfileInfo_t");
_Static_assert(sizeof(nvmlGpuInstanceProfileInfo_v2_t) == 152
                   && offsetof(nvmlGpuInstanceProfileInfo_v2_t, memorySizeMB) == 48
                   && offsetof(nvmlGpuInstanceProfileInfo_v2_t, name) == 56,
               "nvmlGpuInstanceProfileInfo_v2_t");
_Static_assert(nvmlGpuInstanceProfileInfo_v2 == 0x02000098, "nvmlGpuInstanceProfileInfo_v2");
_Static_assert(sizeof(nvmlGpuInstanceInfo_t) == 24 && offsetof(nvmlGpuInstanceInfo_t, placement) == 16,
               "nvmlGpuInstanceInfo_t");

/* ---- the simulated node ---- */
#define MAX_GPUS 16
#define MAX_PROFILES NVML_GPU_INSTANCE_PROFILE_COUNT
#define MAX_PLACEMENTS 8
#define MAX_INSTANCES 8
#define MAX_SLOTS 8
#define MAX_PIDS 16
#define UUID_MAX 96

struct nvmlDevice_st {
    int gpu;  /* index of the parent GPU */
    int slot; /* MIG device slot, or -1 for the GPU itself */
};

struct nvmlGpuInstance_st {
    int gpu;
    int index; /* into Gpu.instances */
};

typedef struct {
    int present;
    unsigned int id, sliceCount, instanceCount, multiprocessors;
    unsigned long long memorySizeMB;
    int placementCount;
    nvmlGpuInstancePlacement_t placements[MAX_PLACEMENTS];
} Profile;

typedef struct {
    unsigned int id, profileId, start, size;
} Instance;

typedef struct {
    int present;
    unsigned int giId, ciId;
    char uuid[UUID_MAX];
    int pidCount;
    unsigned int pids[MAX_PIDS];
} MigSlot;

typedef struct {
    char uuid[UUID_MAX];
    char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
    unsigned long long memoryMiB;
    unsigned int migCurrent, migPending;
    Profile profiles[MAX_PROFILES];
    int instanceCount;
    Instance instances[MAX_INSTANCES];
    MigSlot slots[MAX_SLOTS];
} Gpu;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int initCount;
static int gpuCount;
static Gpu gpus[MAX_GPUS];
static struct nvmlDevice_st gpuHandles[MAX_GPUS];
static struct nvmlDevice_st migHandles[MAX_GPUS][MAX_SLOTS];
static struct nvmlGpuInstance_st instanceHandles[MAX_GPUS][MAX_INSTANCES];
static struct stat loaded;

static int fail(const char *path, int line, const char *what) {
    fprintf(stderr, "fake NVML: %s:%d: %s\n", path, line, what);
    return 0;
}

static int parsePlacements(Profile *p, char *text) {
    for (char *save = NULL, *item = strtok_r(text, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (p->placementCount == MAX_PLACEMENTS
            || sscanf(item, "%u:%u", &p->placements[p->placementCount].start, &p->placements[p->placementCount].size)
                   != 2) {
            return 0;
        }
        p->placementCount++;
    }
    return p->placementCount > 0;
}

static int parsePids(MigSlot *m, char *text) {
    if (strcmp(text, "-") == 0) {
        return 1;
    }
    for (char *save = NULL, *item = strtok_r(text, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (m->pidCount == MAX_PIDS || sscanf(item, "%u", &m->pids[m->pidCount]) != 1) {
            return 0;
        }
        m->pidCount++;
    }
    return 1;
}

/* Reads the state file into fresh tables; on any error the tables are left empty and 0 returned. */
static int load(void) {
    const char *path = getenv("QUARTET_FAKE_NVML_STATE");
    gpuCount = 0;
    memset(gpus, 0, sizeof gpus);
    if (!path || !*path) {
        fprintf(stderr, "fake NVML: QUARTET_FAKE_NVML_STATE is not set\n");
        return 0;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "fake NVML: cannot read %s: %s\n", path, strerror(errno));
        return 0;
    }
    fstat(fileno(f), &loaded);
    char buf[1024];
    int line = 0, ok = 1;
    while (ok && fgets(buf, sizeof buf, f)) {
        line++;
        buf[strcspn(buf, "\r\n")] = 0;
        char *hash = strchr(buf, '#');
        if (hash) {
            *hash = 0;
        }
        char kind[16];
        int g, n = 0;
        if (sscanf(buf, " %15s %d%n", kind, &g, &n) < 2) {
            continue; /* blank or comment */
        }
        char *rest = buf + n;
        if (strcmp(kind, "gpu") == 0) {
            if (g != gpuCount || g >= MAX_GPUS) {
                ok = fail(path, line, "gpu lines must come in index order, at most 16");
                break;
            }
            Gpu *gpu = &gpus[g];
            int off = 0;
            if (sscanf(rest, " %95s %llu %u %u %n", gpu->uuid, &gpu->memoryMiB, &gpu->migCurrent, &gpu->migPending,
                       &off)
                    < 4
                || !rest[off]) {
                ok = fail(path, line, "expected: gpu <index> <uuid> <memoryMiB> <migCurrent> <migPending> <name>");
                break;
            }
            snprintf(gpu->name, sizeof gpu->name, "%s", rest + off);
            gpuCount++;
            continue;
        }
        if (g < 0 || g >= gpuCount) {
            ok = fail(path, line, "names a GPU not declared before");
            break;
        }
        Gpu *gpu = &gpus[g];
        if (strcmp(kind, "profile") == 0) {
            unsigned int index;
            Profile p = {0};
            char placements[256];
            if (sscanf(rest, " %u %u %u %u %u %llu %255s", &index, &p.id, &p.sliceCount, &p.instanceCount,
                       &p.multiprocessors, &p.memorySizeMB, placements)
                    != 7
                || index >= MAX_PROFILES || !parsePlacements(&p, placements)) {
                ok = fail(path, line, "expected: profile <gpu> <index> <id> <slices> <count> <sms> <MB> <s:n,...>");
                break;
            }
            p.present = 1;
            gpu->profiles[index] = p;
        } else if (strcmp(kind, "gi") == 0) {
            Instance in;
            if (gpu->instanceCount == MAX_INSTANCES
                || sscanf(rest, " %u %u %u %u", &in.id, &in.profileId, &in.start, &in.size) != 4) {
                ok = fail(path, line, "expected: gi <gpu> <giId> <profileId> <start> <size>");
                break;
            }
            gpu->instances[gpu->instanceCount++] = in;
        } else if (strcmp(kind, "mig") == 0) {
            unsigned int slot;
            MigSlot m = {0};
            char pids[256];
            if (sscanf(rest, " %u %u %u %95s %255s", &slot, &m.giId, &m.ciId, m.uuid, pids) != 5 || slot >= MAX_SLOTS
                || !parsePids(&m, pids)) {
                ok = fail(path, line, "expected: mig <gpu> <slot> <giId> <ciId> <uuid> <pid,...|->");
                break;
            }
            m.present = 1;
            gpu->slots[slot] = m;
        } else {
            ok = fail(path, line, "unknown line kind");
        }
    }
    fclose(f);
    if (!ok) {
        gpuCount = 0;
        return 0;
    }
    for (int g = 0; g < MAX_GPUS; g++) {
        gpuHandles[g] = (struct nvmlDevice_st){g, -1};
        for (int s = 0; s < MAX_SLOTS; s++) {
            migHandles[g][s] = (struct nvmlDevice_st){g, s};
        }
        for (int i = 0; i < MAX_INSTANCES; i++) {
            instanceHandles[g][i] = (struct nvmlGpuInstance_st){g, i};
        }
    }
    return 1;
}

static int replaced(void) {
    const char *path = getenv("QUARTET_FAKE_NVML_STATE");
    struct stat now;
    if (!path || stat(path, &now) != 0) {
        return 0;
    }
    return now.st_ino != loaded.st_ino || now.st_size != loaded.st_size
        || now.st_mtim.tv_sec != loaded.st_mtim.tv_sec || now.st_mtim.tv_nsec != loaded.st_mtim.tv_nsec;
}

static int validDevice(nvmlDevice_t d) {
    return initCount > 0 && d && d->gpu >= 0 && d->gpu < gpuCount
        && (d->slot < 0 || (d->slot < MAX_SLOTS && gpus[d->gpu].slots[d->slot].present));
}

static const Profile *profileById(const Gpu *gpu, unsigned int id) {
    for (int i = 0; i < MAX_PROFILES; i++) {
        if (gpu->profiles[i].present && gpu->profiles[i].id == id) {
            return &gpu->profiles[i];
        }
    }
    return NULL;
}

static nvmlReturn_t copyString(const char *value, char *out, unsigned int length) {
    if (!out) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (strlen(value) + 1 > length) {
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    strcpy(out, value);
    return NVML_SUCCESS;
}

/* ---- NVML's functions ---- */

nvmlReturn_t DECLDIR nvmlInit_v2(void) {
    pthread_mutex_lock(&lock);
    nvmlReturn_t r = NVML_SUCCESS;
    if (initCount == 0 && !load()) {
        r = NVML_ERROR_DRIVER_NOT_LOADED;
    } else {
        initCount++;
    }
    pthread_mutex_unlock(&lock);
    return r;
}

nvmlReturn_t DECLDIR nvmlShutdown(void) {
    pthread_mutex_lock(&lock);
    nvmlReturn_t r = initCount > 0 ? NVML_SUCCESS : NVML_ERROR_UNINITIALIZED;
    if (initCount > 0) {
        initCount--;
    }
    pthread_mutex_unlock(&lock);
    return r;
}

const DECLDIR char *nvmlErrorString(nvmlReturn_t result) {
    switch (result) {
        case NVML_SUCCESS: return "Success";
        case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
        case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
        case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
        case NVML_ERROR_NO_PERMISSION: return "Insufficient Permissions";
        case NVML_ERROR_NOT_FOUND: return "Not Found";
        case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
        case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
        case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
        case NVML_ERROR_ARGUMENT_VERSION_MISMATCH: return "Argument version mismatch";
        default: return "Unknown Error";
    }
}

nvmlReturn_t DECLDIR nvmlDeviceGetCount_v2(unsigned int *deviceCount) {
    if (!deviceCount) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    pthread_mutex_lock(&lock);
    nvmlReturn_t r = NVML_SUCCESS;
    if (initCount == 0) {
        r = NVML_ERROR_UNINITIALIZED;
    } else if (replaced() && !load()) {
        r = NVML_ERROR_UNKNOWN;
    } else {
        *deviceCount = (unsigned int)gpuCount;
    }
    pthread_mutex_unlock(&lock);
    return r;
}

nvmlReturn_t DECLDIR nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
    if (initCount == 0) {
        return NVML_ERROR_UNINITIALIZED;
    }
    if (!device || index >= (unsigned int)gpuCount) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *device = &gpuHandles[index];
    return NVML_SUCCESS;
}

nvmlReturn_t DECLDIR nvmlDeviceGetHandleByUUID(const char *uuid, nvmlDevice_t *device) {
    if (initCount == 0) {
        return NVML_ERROR_UNINITIALIZED;
    }
    if (!uuid || !device) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    for (int g = 0; g < gpuCount; g++) {
        if (strcmp(gpus[g].uuid, uuid) == 0) {
            *device = &gpuHandles[g];
            return NVML_SUCCESS;
        }
        for (int s = 0; s < MAX_SLOTS; s++) {
            if (gpus[g].slots[s].present && strcmp(gpus[g].slots[s].uuid, uuid) == 0) {
                *device = &migHandles[g][s];
                return NVML_SUCCESS;
            }
        }
    }
    return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t DECLDIR nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
    if (!validDevice(device)) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    const Gpu *gpu = &gpus[device->gpu];
    return copyString(device->slot < 0 ? gpu->uuid : gpu->slots[device->slot].uuid, uuid, length);
}

nvmlReturn_t DECLDIR nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int *index) {
    if (!validDevice(device) || !index) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *index = (unsigned int)device->gpu;
    return NVML_SUCCESS;
}

nvmlReturn_t DECLDIR nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
    if (!validDevice(device)) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    return copyString(gpus[device->gpu].name, name, length);
}

nvmlReturn_t DECLDIR nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    if (!validDevice(device) || !memory || device->slot >= 0) {
        return device && device->slot >= 0 ? NVML_ERROR_NOT_SUPPORTED : NVML_ERROR_INVALID_ARGUMENT;
    }
    memory->total = gpus[device->gpu].memoryMiB * 1024ULL * 1024ULL;
    memory->used = 0;
    memory->free = memory->total;
    return NVML_SUCCESS;
}

nvmlReturn_t DECLDIR nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int *currentMode, unsigned int *pendingMode) {
    if (!validDevice(device) || device->slot >= 0 || !currentMode || !pendingMode) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *currentMode = gpus[device->gpu].migCurrent ? NVML_DEVICE_MIG_ENABLE : NVML_DEVICE_MIG_DISABLE;
    *pendingMode = gpus[device->gpu].migPending ? NVML_DEVICE_MIG_ENABLE : NVML_DEVICE_MIG_DISABLE;
    return NVML_SUCCESS;
}

nvmlReturn_t DECLDIR nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device, unsigned int *count) {
    if (!validDevice(device) || device->slot >= 0 || !count) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    const Gpu *gpu = &gpus[device->gpu];
    unsigned int max = 0;
    for (int i = 0; gpu->migCurrent && i < MAX_PROFILES; i++) {
        if (gpu->profiles[i].present && gpu->profiles[i].instanceCount > max) {
            max = gpu->profiles[i].instanceCount;
        }
    }
    *count = max > MAX_SLOTS ? MAX_SLOTS : max;
    return NVML_SUCCESS;
}

nvmlReturn_t DECLDIR nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t device, unsigned int index,
                                                         nvmlDevice_t *migDevice) {
    if (!validDevice(device) || device->slot >= 0 || !migDevice || index >= MAX_SLOTS) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (!gpus[device->gpu].migCurrent || !gpus[device->gpu].slots[index].present) {
        return NVML_ERROR_NOT_FOUND;
    }
    *migDevice = &migHandles[device->gpu][index];
    return NVML_SUCCESS;
}

nvmlReturn_t DECLDIR nvmlDeviceIsMigDeviceHandle(nvmlDevice_t device, unsigned int *isMigDevice) {
    if (!validDevice(device) || !isMigDevice) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *isMigDevice = device->slot >= 0;
    return NVML_SUCCESS;
}

nvmlReturn_t DECLDIR nvmlDeviceGetGpuInstanceId(nvmlDevice_t device, unsigned int *id) {
    if (!validDevice(device) || !id) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (device->slot < 0) {
        return NVML_ERROR_NOT_SUPPORTED;
    }
    *id = gpus[device->gpu].slots[device->slot].giId;
    return NVML_SUCCESS;
}

nvmlReturn_t DECLDIR nvmlDeviceGetComputeInstanceId(nvmlDevice_t device, unsigned int *id) {
    if (!validDevice(device) || !id) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (device->slot < 0) {
        return NVML_ERROR_NOT_SUPPORTED;
    }
    *id = gpus[device->gpu].slots[device->slot].ciId;
    return NVML_SUCCESS;
}

nvmlReturn_t DECLDIR nvmlDeviceGetDeviceHandleFromMigDeviceHandle(nvmlDevice_t migDevice, nvmlDevice_t *device) {
    if (!validDevice(migDevice) || migDevice->slot < 0 || !device) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *device = &gpuHandles[migDevice->gpu];
    return NVML_SUCCESS;
}

static nvmlReturn_t profileByIndex(nvmlDevice_t device, unsigned int profile, const Profile **out) {
    if (!validDevice(device) || device->slot >= 0) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (profile >= NVML_GPU_INSTANCE_PROFILE_COUNT) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (!gpus[device->gpu].profiles[profile].present) {
        return NVML_ERROR_NOT_SUPPORTED;
    }
    *out = &gpus[device->gpu].profiles[profile];
    return NVML_SUCCESS;
}

nvmlReturn_t DECLDIR nvmlDeviceGetGpuInstanceProfileInfo(nvmlDevice_t device, unsigned int profile,
                                                         nvmlGpuInstanceProfileInfo_t *info) {
    const Profile *p;
    nvmlReturn_t r = info ? profileByIndex(device, profile, &p) : NVML_ERROR_INVALID_ARGUMENT;
    if (r != NVML_SUCCESS) {
        return r;
    }
    memset(info, 0, sizeof *info);
    info->id = p->id;
    info->sliceCount = p->sliceCount;
    info->instanceCount = p->instanceCount;
    info->multiprocessorCount = p->multiprocessors;
    info->memorySizeMB = p->memorySizeMB;
    return NVML_SUCCESS;
}

nvmlReturn_t DECLDIR nvmlDeviceGetGpuInstanceProfileInfoV(nvmlDevice_t device, unsigned int profile,
                                                          nvmlGpuInstanceProfileInfo_v2_t *info) {
    const Profile *p;
    if (!info) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (info->version != nvmlGpuInstanceProfileInfo_v2) {
        return NVML_ERROR_INVALID_ARGUMENT; /* the fake knows v2 only; v3 differs in the top byte */
    }
    nvmlReturn_t r = profileByIndex(device, profile, &p);
    if (r != NVML_SUCCESS) {
        return r;
    }
    unsigned int version = info->version;
    memset(info, 0, sizeof *info);
    info->version = version;
    info->id = p->id;
    info->sliceCount = p->sliceCount;
    info->instanceCount = p->instanceCount;
    info->multiprocessorCount = p->multiprocessors;
    info->memorySizeMB = p->memorySizeMB;
    /* NVML's own name format is not documented; the agent does not read it */
    snprintf(info->name, sizeof info->name, "MIG %ug", p->sliceCount);
    return NVML_SUCCESS;
}

nvmlReturn_t DECLDIR nvmlDeviceGetGpuInstancePossiblePlacements_v2(nvmlDevice_t device, unsigned int profileId,
                                                                   nvmlGpuInstancePlacement_t *placements,
                                                                   unsigned int *count) {
    if (!validDevice(device) || device->slot >= 0 || !count) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (!gpus[device->gpu].migCurrent) {
        return NVML_ERROR_NOT_SUPPORTED;
    }
    const Profile *p = profileById(&gpus[device->gpu], profileId);
    if (!p) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (!placements) {
        *count = (unsigned int)p->placementCount;
        return NVML_SUCCESS;
    }
    if (*count < (unsigned int)p->placementCount) {
        *count = (unsigned int)p->placementCount;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    memcpy(placements, p->placements, sizeof(nvmlGpuInstancePlacement_t) * (size_t)p->placementCount);
    *count = (unsigned int)p->placementCount;
    return NVML_SUCCESS;
}

nvmlReturn_t DECLDIR nvmlDeviceGetGpuInstances(nvmlDevice_t device, unsigned int profileId,
                                               nvmlGpuInstance_t *gpuInstances, unsigned int *count) {
    if (!validDevice(device) || device->slot >= 0 || !gpuInstances || !count) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    const Gpu *gpu = &gpus[device->gpu];
    if (!gpu->migCurrent) {
        return NVML_ERROR_NOT_SUPPORTED;
    }
    const Profile *p = profileById(gpu, profileId);
    if (!p) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    /* the caller's buffer holds the profile's instanceCount entries (go-nvml sizes it so) */
    unsigned int n = 0;
    for (int i = 0; i < gpu->instanceCount && n < p->instanceCount; i++) {
        if (gpu->instances[i].profileId == profileId) {
            gpuInstances[n++] = &instanceHandles[device->gpu][i];
        }
    }
    *count = n;
    return NVML_SUCCESS;
}

nvmlReturn_t DECLDIR nvmlDeviceGetGpuInstanceById(nvmlDevice_t device, unsigned int id,
                                                  nvmlGpuInstance_t *gpuInstance) {
    if (!validDevice(device) || device->slot >= 0 || !gpuInstance) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    const Gpu *gpu = &gpus[device->gpu];
    if (!gpu->migCurrent) {
        return NVML_ERROR_NOT_SUPPORTED;
    }
    for (int i = 0; i < gpu->instanceCount; i++) {
        if (gpu->instances[i].id == id) {
            *gpuInstance = &instanceHandles[device->gpu][i];
            return NVML_SUCCESS;
        }
    }
    return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t DECLDIR nvmlGpuInstanceGetInfo(nvmlGpuInstance_t gpuInstance, nvmlGpuInstanceInfo_t *info) {
    if (initCount == 0 || !gpuInstance || !info || gpuInstance->gpu < 0 || gpuInstance->gpu >= gpuCount
        || gpuInstance->index < 0 || gpuInstance->index >= gpus[gpuInstance->gpu].instanceCount) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    const Instance *in = &gpus[gpuInstance->gpu].instances[gpuInstance->index];
    info->device = &gpuHandles[gpuInstance->gpu];
    info->id = in->id;
    info->profileId = in->profileId;
    info->placement.start = in->start;
    info->placement.size = in->size;
    return NVML_SUCCESS;
}

nvmlReturn_t DECLDIR nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned int *infoCount,
                                                             nvmlProcessInfo_t *infos) {
    if (!validDevice(device) || !infoCount) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    const Gpu *gpu = &gpus[device->gpu];
    unsigned int n = 0;
    for (int s = 0; s < MAX_SLOTS; s++) {
        if (gpu->slots[s].present && (device->slot < 0 || device->slot == s)) {
            n += (unsigned int)gpu->slots[s].pidCount;
        }
    }
    if (*infoCount < n || (n > 0 && !infos)) {
        *infoCount = n;
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    unsigned int k = 0;
    for (int s = 0; s < MAX_SLOTS; s++) {
        const MigSlot *m = &gpu->slots[s];
        if (!m->present || (device->slot >= 0 && device->slot != s)) {
            continue;
        }
        for (int i = 0; i < m->pidCount; i++) {
            infos[k].pid = m->pids[i];
            infos[k].usedGpuMemory = 0;
            infos[k].gpuInstanceId = m->giId;
            infos[k].computeInstanceId = m->ciId;
            k++;
        }
    }
    *infoCount = k;
    return NVML_SUCCESS;
}
