// The Vulkan API without linking the loader: prototypes are left out (functions are resolved at run time
// through vkGetInstanceProcAddr), and the enums Swift switches on or combines are declared first so they
// import as Swift enums and option sets.
#define VK_NO_PROTOTYPES 1
enum __attribute__((enum_extensibility(open))) VkResult;
enum __attribute__((enum_extensibility(open))) VkPhysicalDeviceType;
enum __attribute__((flag_enum)) VkBufferUsageFlagBits;
enum __attribute__((flag_enum)) VkMemoryPropertyFlagBits;
enum __attribute__((flag_enum)) VkQueueFlagBits;
#include <vulkan/vulkan.h>
